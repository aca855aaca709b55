// The hosting CI's workflow (.github/workflows/CI.yml, napi-rs' per-platform form) is checked
// here for what can be checked without GitHub: valid YAML, every target of package.json's
// napi.targets built and tested, pinned actions, and test commands naming spec files that exist.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const root = resolve(import.meta.dirname, '..');

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  'runs-on': string;
  needs?: string[];
  strategy?: { matrix: Record<string, unknown> };
  steps: Step[];
}

test('CI.yml builds and tests every napi target, with pinned actions and existing spec files', (t) => {
  const workflow = parse(readFileSync(join(root, '.github', 'workflows', 'CI.yml'), 'utf8'), { strict: true, uniqueKeys: true }) as { jobs: Record<string, Job> };
  const targets: string[] = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).napi.targets;
  const { jobs } = workflow;

  const built = jobs.build.strategy!.matrix.settings as Array<{ target: string; build: string }>;
  t.deepEqual(built.map((s) => s.target).sort(), [...targets].sort());
  for (const { target, build } of built) t.true(build.includes(`--target ${target}`), `${target} builds for itself`);

  const testedMacWindows = (jobs['test-macos-windows'].strategy!.matrix.settings as Array<{ target: string }>).map((s) => s.target);
  const testedLinux = jobs['test-linux'].strategy!.matrix.target as string[];
  t.deepEqual([...testedMacWindows, ...testedLinux].sort(), [...targets].sort(), 'every target is tested on its platform');

  for (const [name, job] of Object.entries(workflow.jobs)) {
    t.truthy(job['runs-on'], `${name} says where it runs`);
    for (const need of job.needs ?? []) t.truthy(jobs[need], `${name} needs an existing job ${need}`);
    for (const step of job.steps) {
      // A major release tag; dtolnay/rust-toolchain's ref names the Rust channel instead.
      if (step.uses) t.regex(step.uses, /^([\w.-]+\/[\w./-]+@v\d+|dtolnay\/rust-toolchain@stable)$/, `${name}: ${step.uses} is pinned to a major version`);
      for (const spec of step.run?.match(/__test__\/\S+\.spec\.ts/g) ?? []) t.true(existsSync(join(root, spec)), `${name} runs ${spec}`);
      for (const spec of String(step.with?.run ?? '').match(/__test__\/\S+\.spec\.ts/g) ?? []) t.true(existsSync(join(root, spec)), `${name} runs ${spec}`);
    }
  }
  t.true(
    jobs['full-suite'].steps.some((step) => step.run?.includes('.ci/run')),
    "the full suite runs the README's CI script",
  );
});
