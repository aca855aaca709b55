// Depth-first post-order over a graph, iteratively: a model's depth is limited by memory, not
// by JavaScript's call stack (a recursive walk threw RangeError past about 10,000 layers).

/**
 * Visits every node reachable from `roots` (in order), children before parents, each once:
 * `enter` when a node is first reached, `emit` when all its children have been emitted. The
 * order is the one a recursive walk gives.
 */
export function postOrder<T>(roots: Iterable<T>, children: (node: T) => readonly T[], emit: (node: T) => void, enter?: (node: T) => void): void {
  const done = new Set<T>();
  const stack: Array<{ node: T; kids: readonly T[]; next: number }> = [];
  const reach = (node: T) => {
    enter?.(node);
    stack.push({ node, kids: children(node), next: 0 });
  };
  for (const root of roots) {
    if (done.has(root)) continue;
    reach(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.next < top.kids.length) {
        const child = top.kids[top.next++];
        if (!done.has(child)) reach(child);
        continue;
      }
      stack.pop();
      if (!done.has(top.node)) {
        done.add(top.node);
        emit(top.node);
      }
    }
  }
}
