// Reads a Dockerfile into stages and instructions (line continuations joined, comments dropped),
// enough for the image tests to check what is copied, run and declared. Not a full parser: the
// instructions our Dockerfiles use, in the forms they use them.
import { readFileSync } from 'node:fs';

type Instruction = { op: string; args: string };
export type Copy = { from: string | null; sources: string[]; dest: string };
export type Stage = { name: string | null; base: string; instructions: Instruction[] };

export type Dockerfile = {
  args: Record<string, string>;
  stages: Stage[];
  stage(name: string): Stage;
  final: Stage;
};

export function readDockerfile(file: string): Dockerfile {
  const lines = readFileSync(file, 'utf8')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, op = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = op.toUpperCase();
    if (upper === 'FROM') {
      const [, base = '', name = null] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) ?? [];
      stages.push({ name, base: base.replace(/^\$\{(\w+)\}$/, (_, a: string) => args[a] ?? a), instructions: [] });
    } else if (upper === 'ARG' && stages.length === 0) {
      const [name = '', value = ''] = rest.split('=');
      args[name] = value;
    } else {
      stages.at(-1)?.instructions.push({ op: upper, args: rest });
    }
  }
  return {
    args,
    stages,
    stage(name) {
      const s = stages.find((st) => st.name === name);
      if (!s) throw new Error(`no stage ${name} in ${file}`);
      return s;
    },
    get final() {
      const s = stages.at(-1);
      if (!s) throw new Error(`no stage in ${file}`);
      return s;
    },
  };
}

export const all = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op).map((i) => i.args);

export function copies(stage: Stage): Copy[] {
  return all(stage, 'COPY').map((args) => {
    const words = args.split(/\s+/);
    const flags = words.filter((w) => w.startsWith('--'));
    const paths = words.filter((w) => !w.startsWith('--'));
    const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length) ?? null;
    return { from, sources: paths.slice(0, -1), dest: paths.at(-1) ?? '' };
  });
}

/** ENV KEY=value pairs of a stage (values without spaces, as ours are). */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of all(stage, 'ENV'))
    for (const [, key = '', value = ''] of args.matchAll(/(\w+)=(\S*)/g)) env[key] = value.replace(/^"|"$/g, '');
  return env;
}

/** The JSON array of an exec-form instruction (ENTRYPOINT, CMD, HEALTHCHECK … CMD). */
export function execForm(args: string): string[] {
  const json = args.slice(args.indexOf('['));
  return JSON.parse(json) as string[];
}

export const workdirOf = (stage: Stage) => all(stage, 'WORKDIR').at(-1) ?? '/';
