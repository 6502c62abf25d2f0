// Process-tree accounting from Linux /proc for benches: CPU ticks (utime+stime, plus cutime+cstime
// of reaped children, so a short-lived child's CPU stays counted after it exits) and resident
// memory (VmRSS) of a process and of the subtrees under it.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** cutime + cstime: children this process has reaped, in clock ticks. */
  reapedTicks: number;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux unless told otherwise). */
export const CLOCK_TICKS: number = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Every process on the machine (those that vanish while being read are skipped). */
export function readProcesses(): Map<number, ProcInfo> {
  const procs = new Map<number, ProcInfo>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      // Fields after "(comm)": state ppid … utime(14) stime(15) cutime(16) cstime(17), 1-based.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const n = (field: number) => Number(fields[field - 3]);
      procs.set(Number(entry), { pid: Number(entry), ppid: n(4), ticks: n(14) + n(15), reapedTicks: n(16) + n(17) });
    } catch {
      // exited meanwhile
    }
  }
  return procs;
}

/** The live processes under `root` (not `root` itself). */
export function descendants(procs: Map<number, ProcInfo>, root: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of procs.values()) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const out: number[] = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU ticks used so far by `pids` and everything they reaped. */
export function treeTicks(procs: Map<number, ProcInfo>, pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const p = procs.get(pid);
    if (p) ticks += p.ticks + p.reapedTicks;
  }
  return ticks;
}

/** VmRSS in MB (0 when the process is gone). */
export function rssMb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Private (unshared) resident MB: VmRSS minus the pages shared with other processes, such as the
 *  Node binary's, which the gateway and the CLI running on the same Node use too. */
export function privateMb(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(rollup)?.[1] ?? 0);
    return (kb('Private_Clean') + kb('Private_Dirty')) / 1024;
  } catch {
    return 0;
  }
}

/** argv of a process ([] when it is gone). */
export function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}
