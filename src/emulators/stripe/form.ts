// Decodes the SDK's form bodies (`line_items[0][price]=…&metadata[userId]=…&expand[]=…`, brackets not
// percent-encoded) into nested objects and arrays, the way Stripe's API reads them.
export type FormValue = string | FormValue[] | { [k: string]: FormValue };
export type FormObject = { [k: string]: FormValue };

export function parseForm(body: string): FormObject {
  const root: FormObject = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(rawKey);
    if (!m) continue;
    const path = [m[1]!, ...[...m[2]!.matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1]!)];
    let node: FormObject | FormValue[] = root;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      const nextIsIndex = !last && /^\d*$/.test(path[i + 1]!);
      if (Array.isArray(node)) {
        const idx = seg === '' ? node.length : Number(seg);
        if (last) node[idx] = value;
        else {
          node[idx] ??= nextIsIndex ? [] : {};
          node = node[idx] as FormObject | FormValue[];
        }
      } else if (last) node[seg] = value;
      else {
        node[seg] ??= nextIsIndex ? [] : {};
        node = node[seg] as FormObject | FormValue[];
      }
    }
  }
  return root;
}

export const str = (v: FormValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
export const bool = (v: FormValue | undefined): boolean | undefined =>
  v === 'true' ? true : v === 'false' ? false : undefined;
export const int = (v: FormValue | undefined): number | undefined => {
  const s = str(v);
  return s !== undefined && /^-?\d+$/.test(s) ? Number(s) : undefined;
};
export const arr = (v: FormValue | undefined): FormValue[] =>
  Array.isArray(v) ? v.filter((x) => x !== undefined) : [];
export const obj = (v: FormValue | undefined): FormObject => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
export const metadataOf = (v: FormValue | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(v)).filter((e): e is [string, string] => typeof e[1] === 'string'));
