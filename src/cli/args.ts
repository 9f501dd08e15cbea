/** A small typed command-line parser (no dependency): `--name value`, `--name=value`, `--flag`, `--`. */

/** One option: a string value or a boolean flag. */
export interface OptionSpec {
  /** `strings`: a string option that may be given several times (values in order). */
  readonly type: 'string' | 'strings' | 'boolean';
  /** One-letter alias, e.g. `j` for `-j`. */
  readonly short?: string;
  /** Allowed values of a string option. */
  readonly choices?: readonly string[];
  readonly description?: string;
}

/** Option specs keyed by long name (without `--`). */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** Parsed values: strings for string options, booleans for flags. */
export type ParsedOptions<S extends OptionSpecs> = {
  -readonly [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : S[K]['type'] extends 'strings' ? string[] : string;
};

/** The result of {@link parseArgs}. */
export interface ParsedArgs<S extends OptionSpecs> {
  readonly positionals: string[];
  readonly options: ParsedOptions<S>;
}

/** A usage error (exit code 2). */
export class ArgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArgError';
  }
}

/** Parses `argv` against `specs`; throws {@link ArgError} for unknown options, missing values, bad choices. */
export function parseArgs<S extends OptionSpecs>(argv: readonly string[], specs: S): ParsedArgs<S> {
  const positionals: string[] = [];
  const options: Record<string, string | string[] | boolean> = Object.create(null) as Record<string, string | string[] | boolean>;
  const byShort = new Map(Object.entries(specs).filter(([, s]) => s.short).map(([name, s]) => [s.short as string, name]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    } else if (arg.length > 1 && arg.startsWith('-') && !/^-\d/.test(arg)) {
      name = byShort.get(arg.slice(1));
      if (!name) throw new ArgError(`unknown option ${arg}`);
    } else {
      positionals.push(arg);
      continue;
    }
    if (!Object.prototype.hasOwnProperty.call(specs, name)) throw new ArgError(`unknown option --${name}`);
    const spec = specs[name]!;
    if (spec.type === 'boolean') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') throw new ArgError(`--${name} takes no value`);
      options[name] = inline !== 'false';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ArgError(`--${name} needs a value`);
    if (spec.choices && !spec.choices.includes(value)) throw new ArgError(`--${name} must be one of ${spec.choices.join(', ')} (got ${value})`);
    if (spec.type === 'strings') options[name] = [...((options[name] as string[] | undefined) ?? []), value];
    else options[name] = value;
  }
  return { positionals, options: options as ParsedOptions<S> };
}

/** Help lines for `specs`. */
export function describeOptions(specs: OptionSpecs): string {
  return Object.entries(specs)
    .map(([name, s]) => `  --${name}${s.type !== 'boolean' ? ` <${s.choices ? s.choices.join('|') : 'value'}>` : ''}${s.short ? `, -${s.short}` : ''}  ${s.description ?? ''}`)
    .join('\n');
}

/**
 * The arguments of a command that takes one input path: parsed options and the path, or `undefined`
 * after printing the usage for `--help`. Throws {@link ArgError} for anything else.
 */
export function parseOneInput<S extends OptionSpecs & { readonly help: OptionSpec }>(
  argv: readonly string[],
  specs: S,
  usage: string,
  stdout: (text: string) => void,
): { readonly options: ParsedOptions<S>; readonly input: string } | undefined {
  const { options, positionals } = parseArgs(argv, specs);
  if (options.help) {
    stdout(usage);
    return undefined;
  }
  if (positionals.length !== 1) throw new ArgError(positionals.length ? 'give one file or folder' : 'missing <file|folder>');
  return { options, input: positionals[0]! };
}
