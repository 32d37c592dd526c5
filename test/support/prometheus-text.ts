// A strict reader of the Prometheus text exposition format (0.0.4) for tests: every sample must
// belong to a family announced by # TYPE, so a malformed /metrics answer fails the test.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
  /** The value of the one sample with this name and exactly these labels. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
const SUFFIXES = ['_bucket', '_sum', '_count'];

function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function family(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name)) return name;
  const suffix = SUFFIXES.find((s) => name.endsWith(s));
  const base = suffix === undefined ? undefined : name.slice(0, -suffix.length);
  return base !== undefined && types.has(base) ? base : undefined;
}

export function parsePrometheusText(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    if (line.startsWith('# TYPE ')) {
      const [name, type, extra] = line.slice('# TYPE '.length).split(' ');
      if (name === undefined || type === undefined || extra !== undefined) throw new Error(`line ${i + 1}: bad TYPE`);
      types.set(name, type);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (m === null) throw new Error(`line ${i + 1}: not a sample: ${line}`);
    const name = m[1] as string;
    if (family(name, types) === undefined) throw new Error(`line ${i + 1}: ${name} has no # TYPE`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    LABEL.lastIndex = 0;
    let consumed = 0;
    for (let l = LABEL.exec(body); l !== null; l = LABEL.exec(body)) {
      labels[l[1] as string] = unescape(l[2] as string);
      consumed = LABEL.lastIndex;
    }
    if (consumed !== body.length) throw new Error(`line ${i + 1}: bad labels: ${body}`);
    const raw = m[3] as string;
    // Prometheus reads values with Go's ParseFloat: NaN and Inf in any case (prom-client writes `Nan`).
    const special = raw.toLowerCase();
    const value = special === 'nan' ? NaN : special === '+inf' || special === 'inf' ? Infinity : special === '-inf' ? -Infinity : Number(raw);
    if (Number.isNaN(value) && special !== 'nan') throw new Error(`line ${i + 1}: bad value ${raw}`);
    samples.push({ name, labels, value });
  }
  return {
    types,
    samples,
    value(name, labels = {}) {
      const keys = Object.keys(labels);
      return samples.find((s) => s.name === name && Object.keys(s.labels).length === keys.length
        && keys.every((k) => s.labels[k] === labels[k]))?.value;
    },
  };
}
