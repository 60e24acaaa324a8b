import { RE2JS } from 're2js';

/**
 * Regular expressions written by tenants (filters' `$regex`, JSONata regex literals, JSON Schema
 * `pattern`s) run on text that anonymous senders choose. V8's engine backtracks: `(a+)+$` on 30
 * characters stalls the process for minutes. RE2 (here its JavaScript port, re2js) matches in time
 * linear in the text, and refuses what cannot be matched that way (backreferences, lookarounds).
 *
 * Linear is not free: re2js costs roughly (text length × program size) steps, ~100 ms for a
 * small pattern over 1 MB. So one match may spend at most MATCH_BUDGET units; a longer text fails
 * the evaluation with a RegexTooCostly naming the limit instead of holding the event loop.
 */
const MATCH_BUDGET = 2_000_000;

class RegexTooCostly extends Error {
  constructor(length: number, max: number) {
    super(`a regular expression was given ${length.toLocaleString('en')} characters; this one may read at most ${max.toLocaleString('en')}`);
  }
}

class RegexSyntax extends Error {}

const FLAG_BITS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL };

function compile(pattern: string, flags: string): RE2JS {
  let bits = 0;
  for (const f of flags) {
    if (f === 'g' || f === 'u' || f === 'y' || f === 'd' || f === 'v') continue;
    const bit = FLAG_BITS[f];
    if (bit === undefined) throw new RegexSyntax(`unsupported regular expression flag "${f}" (use i, m or s)`);
    bits |= bit;
  }
  try {
    return RE2JS.compile(pattern, bits);
  } catch (err) {
    throw new RegexSyntax(
      `${(err as Error).message.replace(/^error parsing regexp: /, '')} — regular expressions here are RE2: no backreferences or lookarounds`,
    );
  }
}

/** The longest text a pattern may be matched against within MATCH_BUDGET. */
const maxTextFor = (re: RE2JS) => Math.floor(MATCH_BUDGET / (re.programSize() + 8));

/**
 * A RegExp look-alike backed by RE2: `exec`, `test`, `lastIndex`, `source`, `flags`, `global`,
 * which is what JSONata (its `RegexEngine` option), mingo and ajv (`code.regExp`) call.
 */
export class SafeRegExp {
  readonly source: string;
  readonly flags: string;
  readonly global: boolean;
  lastIndex = 0;
  private readonly re: RE2JS;
  private readonly maxText: number;
  // JSONata walks a text match by match (exec with lastIndex): one matcher per text, not per call.
  private text: string | null = null;
  private matcher: ReturnType<RE2JS['matcher']> | null = null;

  /** `onExec` runs before each match: a filter's deadline check, since one filter may run a regex over many values. */
  constructor(
    pattern: string | RegExp | SafeRegExp,
    flags?: string,
    private readonly onExec?: () => void,
  ) {
    this.source = typeof pattern === 'string' ? pattern : pattern.source;
    this.flags = flags ?? (typeof pattern === 'string' ? '' : pattern.flags);
    this.global = this.flags.includes('g') || this.flags.includes('y');
    this.re = compile(this.source, this.flags);
    this.maxText = maxTextFor(this.re);
  }

  private matcherFor(text: string) {
    if (this.text !== text || !this.matcher) {
      if (text.length > this.maxText) throw new RegexTooCostly(text.length, this.maxText);
      this.text = text;
      this.matcher = this.re.matcher(text);
    }
    return this.matcher;
  }

  exec(input: string): RegExpExecArray | null {
    this.onExec?.();
    const text = String(input);
    const from = this.global ? this.lastIndex : 0;
    if (from > text.length) {
      this.lastIndex = 0;
      return null;
    }
    const m = this.matcherFor(text);
    if (!m.find(from)) {
      if (this.global) this.lastIndex = 0;
      return null;
    }
    const groups: (string | undefined)[] = [];
    for (let g = 0; g <= m.groupCount(); g++) groups.push(m.group(g) ?? undefined);
    const result = Object.assign(groups, { index: m.start(), input: text, groups: undefined }) as unknown as RegExpExecArray;
    if (this.global) this.lastIndex = m.end();
    return result;
  }

  test(input: string): boolean {
    return this.exec(input) !== null;
  }

  toString(): string {
    return `/${this.source}/${this.flags}`;
  }
}
