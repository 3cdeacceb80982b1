/**
 * Which CPUs the proxy and the load side get. On a machine with two or more usable CPUs and taskset, the proxy
 * under test is pinned alone on one CPU and the load generator, the upstream and the bench runner share another,
 * so every peer is measured on exactly one core and never competes with its own load.
 */

/** taskset CPU lists for the two sides, or none of them when not pinning, and a line saying which. */
export interface CpuLayout {
  readonly proxyCpus: string | undefined;
  readonly loadCpus: string | undefined;
  readonly description: string;
}

/** Parses a kernel CPU list (`0-3,8,10-11`, as in /proc/self/status `Cpus_allowed_list`) into CPU ids. */
export function parseCpuList(text: string): number[] {
  const ids: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) throw new Error(`malformed CPU list "${text}"`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    for (let id = first; id <= last; id++) ids.push(id);
  }
  return ids;
}

/**
 * Chooses the layout from the CPUs this process may run on (a `Cpus_allowed_list` value, or undefined when
 * unknown) and whether taskset is installed. The first allowed CPU takes the load side, the second the proxy.
 */
export function chooseCpuLayout(allowedList: string | undefined, hasTaskset: boolean): CpuLayout {
  if (!hasTaskset)
    return { proxyCpus: undefined, loadCpus: undefined, description: 'not pinned: taskset not found' };
  const allowed = allowedList === undefined ? [] : parseCpuList(allowedList);
  const [load, proxy] = allowed;
  if (load === undefined || proxy === undefined) {
    return { proxyCpus: undefined, loadCpus: undefined, description: 'not pinned: fewer than 2 usable CPUs' };
  }
  return {
    proxyCpus: String(proxy),
    loadCpus: String(load),
    description: `proxy alone on CPU ${proxy}; load generator, upstream and bench runner on CPU ${load} (taskset)`,
  };
}
