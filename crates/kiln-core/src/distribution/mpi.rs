//! A thin binding of Open MPI, loaded at run time (dlopen) rather than linked: the one prebuilt
//! kiln-nn binary then installs and runs everywhere, and only a script that asks for
//! distribution needs libmpi. Open MPI's C handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are
//! the addresses of its exported `ompi_mpi_*` objects, so they are resolved as symbols too.
//! MPICH and its derivatives (Intel MPI, MVAPICH) use integer handles, another ABI: refused.
use crate::error::{KilnError, Result};
use libloading::os::unix::{Library, Symbol, RTLD_GLOBAL, RTLD_NOW};
use std::ffi::{c_char, c_int, c_void, CStr};

type Handle = *mut c_void;

/// Open MPI's `MPI_Status` is five ints and a size_t; room for any layout is kept.
#[repr(C)]
#[derive(Default)]
pub struct Status {
    pub source: c_int,
    pub tag: c_int,
    pub error: c_int,
    rest: [c_int; 13],
}

/// `MPI_Request`: a pointer in Open MPI.
pub type Request = Handle;

/// The library names tried in order: Open MPI 3, 4 and 5 all have soname libmpi.so.40.
const LIBRARY_NAMES: [&str; 3] = ["libmpi.so.40", "libmpi.so", "libmpi.dylib"];
/// Overrides the search: the path of an Open MPI libmpi.
pub const LIBRARY_VARIABLE: &str = "KILN_MPI_LIBRARY";
pub const INSTALL_HINT: &str = "install Open MPI (Debian/Ubuntu: `apt-get install openmpi-bin libopenmpi-dev`; Fedora: `dnf install openmpi`; macOS: `brew install open-mpi`), or point KILN_MPI_LIBRARY at its libmpi.so, and start the script with mpirun";

const THREAD_SERIALIZED: c_int = 2;
const THREAD_MULTIPLE: c_int = 3;
const SUCCESS: c_int = 0;
/// `MPI_IN_PLACE` and `MPI_ANY_SOURCE` in Open MPI.
#[allow(clippy::manual_dangling_ptr)] // Open MPI's value, not a placeholder pointer
const IN_PLACE: *mut c_void = 1 as *mut c_void;
pub const ANY_SOURCE: c_int = -1;

macro_rules! mpi_functions {
    ($($name:ident: fn($($arg:ty),*) -> c_int;)*) => {
        #[allow(non_snake_case)]
        struct Functions { $($name: unsafe extern "C" fn($($arg),*) -> c_int,)* }
        impl Functions {
            unsafe fn resolve(lib: &Library) -> std::result::Result<Functions, String> {
                Ok(Functions { $($name: *lib.get::<unsafe extern "C" fn($($arg),*) -> c_int>(concat!(stringify!($name), "\0").as_bytes()).map_err(|e| e.to_string())?,)* })
            }
        }
    };
}

mpi_functions! {
    MPI_Initialized: fn(*mut c_int) -> c_int;
    MPI_Init_thread: fn(*mut c_int, *mut c_void, c_int, *mut c_int) -> c_int;
    MPI_Finalized: fn(*mut c_int) -> c_int;
    MPI_Finalize: fn() -> c_int;
    MPI_Abort: fn(Handle, c_int) -> c_int;
    MPI_Comm_rank: fn(Handle, *mut c_int) -> c_int;
    MPI_Comm_size: fn(Handle, *mut c_int) -> c_int;
    MPI_Comm_set_errhandler: fn(Handle, Handle) -> c_int;
    MPI_Error_string: fn(c_int, *mut c_char, *mut c_int) -> c_int;
    MPI_Get_library_version: fn(*mut c_char, *mut c_int) -> c_int;
    MPI_Iallreduce: fn(*const c_void, *mut c_void, c_int, Handle, Handle, Handle, *mut Request) -> c_int;
    MPI_Ibcast: fn(*mut c_void, c_int, Handle, c_int, Handle, *mut Request) -> c_int;
    MPI_Iallgather: fn(*const c_void, c_int, Handle, *mut c_void, c_int, Handle, Handle, *mut Request) -> c_int;
    MPI_Iallgatherv: fn(*const c_void, c_int, Handle, *mut c_void, *const c_int, *const c_int, Handle, Handle, *mut Request) -> c_int;
    MPI_Isend: fn(*const c_void, c_int, Handle, c_int, c_int, Handle, *mut Request) -> c_int;
    MPI_Test: fn(*mut Request, *mut c_int, *mut Status) -> c_int;
    MPI_Iprobe: fn(c_int, c_int, Handle, *mut c_int, *mut Status) -> c_int;
    MPI_Recv: fn(*mut c_void, c_int, Handle, c_int, c_int, Handle, *mut Status) -> c_int;
    MPI_Get_count: fn(*const Status, Handle, *mut c_int) -> c_int;
}

/// The element types kiln sends.
#[derive(Clone, Copy)]
pub enum DataType {
    F32,
    F64,
    Byte,
    I32,
}

/// The reductions kiln uses.
#[derive(Clone, Copy)]
pub enum ReduceOp {
    Sum,
    Max,
}

struct Handles {
    comm_world: Handle,
    float: Handle,
    double: Handle,
    byte: Handle,
    int: Handle,
    sum: Handle,
    max: Handle,
    errors_return: Handle,
}

/// libmpi, loaded and initialized. Calls are made one at a time (the Communicator holds it
/// behind a mutex), from whichever thread: MPI is initialized for that (THREAD_SERIALIZED at least).
pub struct Mpi {
    f: Functions,
    h: Handles,
    pub library: String,
    _lib: Library,
}

// The raw handles point at libmpi's static objects, valid as long as the library is loaded.
unsafe impl Send for Mpi {}
unsafe impl Sync for Mpi {}

impl Mpi {
    /// Loads libmpi and initializes MPI (unless the process already did).
    pub fn load() -> Result<Mpi> {
        let (lib, library) = open_library()?;
        // SAFETY: the symbols are Open MPI's C API with the signatures declared above.
        let f = unsafe { Functions::resolve(&lib) }.map_err(|e| KilnError::runtime(format!("{library} is not a usable MPI library ({e}); {INSTALL_HINT}")))?;
        let handle = |name: &str| -> Result<Handle> {
            // SAFETY: only the address is taken; the object is Open MPI's predefined handle.
            unsafe { lib.get::<*mut c_void>(format!("{name}\0").as_bytes()) }.map(|s: Symbol<*mut c_void>| s.into_raw() as Handle).map_err(|_| {
                KilnError::runtime(format!(
                    "{library} is an MPI library but not Open MPI (it has no `{name}`): kiln.distribution supports Open MPI 3, 4 and 5 (MPICH, Intel MPI and MVAPICH use another ABI); {INSTALL_HINT}"
                ))
            })
        };
        let h = Handles {
            comm_world: handle("ompi_mpi_comm_world")?,
            float: handle("ompi_mpi_float")?,
            double: handle("ompi_mpi_double")?,
            byte: handle("ompi_mpi_byte")?,
            int: handle("ompi_mpi_int")?,
            sum: handle("ompi_mpi_op_sum")?,
            max: handle("ompi_mpi_op_max")?,
            errors_return: handle("ompi_mpi_errors_return")?,
        };
        let mpi = Mpi { f, h, library, _lib: lib };
        mpi.initialize()?;
        Ok(mpi)
    }

    fn initialize(&self) -> Result<()> {
        let mut done = 0;
        self.check(unsafe { (self.f.MPI_Initialized)(&mut done) }, "MPI_Initialized")?;
        if done == 0 {
            let mut provided = 0;
            self.check(unsafe { (self.f.MPI_Init_thread)(std::ptr::null_mut(), std::ptr::null_mut(), THREAD_MULTIPLE, &mut provided) }, "MPI_Init_thread")?;
            if provided < THREAD_SERIALIZED {
                return Err(KilnError::runtime(format!(
                    "{} provides thread level {provided}; kiln.distribution calls MPI from its worker threads and needs MPI_THREAD_SERIALIZED (2) or more",
                    self.library
                )));
            }
        }
        // Errors come back as codes (turned into KilnErrors) instead of aborting the job silently.
        self.check(unsafe { (self.f.MPI_Comm_set_errhandler)(self.h.comm_world, self.h.errors_return) }, "MPI_Comm_set_errhandler")
    }

    pub fn version(&self) -> String {
        let mut buf = vec![0 as c_char; 8192];
        let mut len = 0;
        unsafe { (self.f.MPI_Get_library_version)(buf.as_mut_ptr(), &mut len) };
        let text = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned();
        text.lines().next().unwrap_or("").trim().to_string()
    }

    pub fn rank(&self) -> Result<usize> {
        let mut r = 0;
        self.check(unsafe { (self.f.MPI_Comm_rank)(self.h.comm_world, &mut r) }, "MPI_Comm_rank")?;
        Ok(r as usize)
    }

    pub fn size(&self) -> Result<usize> {
        let mut s = 0;
        self.check(unsafe { (self.f.MPI_Comm_size)(self.h.comm_world, &mut s) }, "MPI_Comm_size")?;
        Ok(s as usize)
    }

    fn data_type(&self, t: DataType) -> Handle {
        match t {
            DataType::F32 => self.h.float,
            DataType::F64 => self.h.double,
            DataType::Byte => self.h.byte,
            DataType::I32 => self.h.int,
        }
    }

    /// Starts an in-place allreduce of `count` elements at `buf`.
    ///
    /// # Safety
    /// `buf` must hold `count` elements of `t` and stay alive and untouched until the request completes.
    pub unsafe fn iallreduce(&self, buf: *mut c_void, count: usize, t: DataType, op: ReduceOp) -> Result<Request> {
        let op = match op {
            ReduceOp::Sum => self.h.sum,
            ReduceOp::Max => self.h.max,
        };
        let mut req = std::ptr::null_mut();
        self.check((self.f.MPI_Iallreduce)(IN_PLACE, buf, count_arg(count)?, self.data_type(t), op, self.h.comm_world, &mut req), "MPI_Iallreduce")?;
        Ok(req)
    }

    /// Starts a broadcast from `root`.
    ///
    /// # Safety
    /// As `iallreduce`.
    pub unsafe fn ibcast(&self, buf: *mut c_void, count: usize, t: DataType, root: usize) -> Result<Request> {
        let mut req = std::ptr::null_mut();
        self.check((self.f.MPI_Ibcast)(buf, count_arg(count)?, self.data_type(t), root as c_int, self.h.comm_world, &mut req), "MPI_Ibcast")?;
        Ok(req)
    }

    /// Starts gathering one i32 from every rank into `out` (size() values).
    ///
    /// # Safety
    /// `value` and `out` must stay alive until the request completes.
    pub unsafe fn iallgather_i32(&self, value: *const c_int, out: *mut c_int) -> Result<Request> {
        let mut req = std::ptr::null_mut();
        self.check((self.f.MPI_Iallgather)(value as *const c_void, 1, self.h.int, out as *mut c_void, 1, self.h.int, self.h.comm_world, &mut req), "MPI_Iallgather")?;
        Ok(req)
    }

    /// Starts gathering every rank's bytes into `out` at `displacements`.
    ///
    /// # Safety
    /// Every buffer must stay alive until the request completes.
    pub unsafe fn iallgatherv_bytes(&self, mine: &[u8], out: *mut u8, counts: *const c_int, displacements: *const c_int) -> Result<Request> {
        let mut req = std::ptr::null_mut();
        self.check(
            (self.f.MPI_Iallgatherv)(mine.as_ptr() as *const c_void, count_arg(mine.len())?, self.h.byte, out as *mut c_void, counts, displacements, self.h.byte, self.h.comm_world, &mut req),
            "MPI_Iallgatherv",
        )?;
        Ok(req)
    }

    /// Starts sending bytes to `dest` with `tag`.
    ///
    /// # Safety
    /// `bytes` must stay alive until the request completes.
    pub unsafe fn isend_bytes(&self, bytes: &[u8], dest: usize, tag: c_int) -> Result<Request> {
        let mut req = std::ptr::null_mut();
        self.check((self.f.MPI_Isend)(bytes.as_ptr() as *const c_void, count_arg(bytes.len())?, self.h.byte, dest as c_int, tag, self.h.comm_world, &mut req), "MPI_Isend")?;
        Ok(req)
    }

    /// Whether the request has completed (it is then freed).
    pub fn test(&self, req: &mut Request) -> Result<bool> {
        let mut flag = 0;
        let mut status = Status::default();
        self.check(unsafe { (self.f.MPI_Test)(req, &mut flag, &mut status) }, "MPI_Test")?;
        Ok(flag != 0)
    }

    /// A message with `tag` from any rank, if one has arrived: (source, bytes).
    pub fn try_receive(&self, tag: c_int) -> Result<Option<(usize, Vec<u8>)>> {
        let mut flag = 0;
        let mut status = Status::default();
        self.check(unsafe { (self.f.MPI_Iprobe)(ANY_SOURCE, tag, self.h.comm_world, &mut flag, &mut status) }, "MPI_Iprobe")?;
        if flag == 0 {
            return Ok(None);
        }
        let mut count = 0;
        self.check(unsafe { (self.f.MPI_Get_count)(&status, self.h.byte, &mut count) }, "MPI_Get_count")?;
        let mut bytes = vec![0u8; count.max(0) as usize];
        let source = status.source;
        self.check(unsafe { (self.f.MPI_Recv)(bytes.as_mut_ptr() as *mut c_void, count, self.h.byte, source, tag, self.h.comm_world, &mut status) }, "MPI_Recv")?;
        Ok(Some((source as usize, bytes)))
    }

    pub fn abort(&self, code: i32) {
        unsafe { (self.f.MPI_Abort)(self.h.comm_world, code) };
    }

    pub fn finalize(&self) -> Result<()> {
        let mut done = 0;
        unsafe { (self.f.MPI_Finalized)(&mut done) };
        if done != 0 {
            return Ok(());
        }
        self.check(unsafe { (self.f.MPI_Finalize)() }, "MPI_Finalize")
    }

    fn check(&self, code: c_int, call: &str) -> Result<()> {
        if code == SUCCESS {
            return Ok(());
        }
        let mut buf = vec![0 as c_char; 1024];
        let mut len = 0;
        unsafe { (self.f.MPI_Error_string)(code, buf.as_mut_ptr(), &mut len) };
        let text = unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned();
        Err(KilnError::runtime(format!("{call} failed with MPI error {code}: {text}")))
    }
}

fn count_arg(count: usize) -> Result<c_int> {
    c_int::try_from(count).map_err(|_| KilnError::value(format!("{count} elements are more than one MPI call can send ({})", c_int::MAX)))
}

/// dlopen with RTLD_GLOBAL: Open MPI's plugins (loaded by libmpi itself) need its symbols.
fn open_library() -> Result<(Library, String)> {
    let names: Vec<String> = match std::env::var(LIBRARY_VARIABLE) {
        Ok(path) if !path.is_empty() => vec![path],
        _ => LIBRARY_NAMES.iter().map(|s| s.to_string()).collect(),
    };
    let mut failures = Vec::new();
    for name in &names {
        // SAFETY: loading libmpi runs its initializers, which have no preconditions.
        match unsafe { Library::open(Some(name), RTLD_NOW | RTLD_GLOBAL) } {
            Ok(lib) => return Ok((lib, name.clone())),
            Err(e) => failures.push(e.to_string()),
        }
    }
    Err(KilnError::runtime(format!("kiln.distribution needs an MPI library and none was found ({}): {INSTALL_HINT}", failures.join("; "))))
}
