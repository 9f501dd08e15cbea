/**
 * The options every reading command shares (`inspect`, `score`, `prune`): a forced format, custom
 * reasoning delimiters and a field mapping, turned into the core's `ParseOptions` so that every
 * command reads a file the same way.
 */
import { parseFieldMapping, TRACE_FORMATS, type ParseOptions, type TraceFormat } from '../core/trace/index';
import { ArgError } from './args';

/** Delimiters and field mapping (every reading command; `prune` uses `--format` for its output). */
export const FIELD_OPTION_SPECS = {
  'reasoning-tags': { type: 'string', description: 'custom reasoning delimiters, OPEN,CLOSE' },
  field: { type: 'strings', description: 'where a role sits in each record: prompt=PATH, reasoning=PATH, answer=PATH, id=PATH (dotted, e.g. outputs.0.text; repeatable)' },
} as const;

/** Option specs of the shared reading options. */
export const READ_OPTION_SPECS = {
  format: { type: 'string', choices: ['auto', ...TRACE_FORMATS], description: 'force a format (default: auto-detect)' },
  ...FIELD_OPTION_SPECS,
} as const;

/** `ParseOptions` from the parsed shared options; throws {@link ArgError} on bad values. */
export function readOptionsFrom(options: { format?: string; 'reasoning-tags'?: string; field?: string[] }): ParseOptions {
  let reasoningTags: [string, string] | undefined;
  if (options['reasoning-tags'] !== undefined) {
    const parts = options['reasoning-tags'].split(',');
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new ArgError(`--reasoning-tags needs OPEN,CLOSE (got ${options['reasoning-tags']})`);
    reasoningTags = [parts[0], parts[1]];
  }
  let fields;
  try {
    fields = options.field?.length ? parseFieldMapping(options.field) : undefined;
  } catch (e) {
    throw new ArgError((e as Error).message);
  }
  const format = (options.format ?? 'auto') as TraceFormat | 'auto';
  return { ...(format !== 'auto' ? { format } : {}), ...(reasoningTags ? { reasoningTags } : {}), ...(fields ? { fields } : {}) };
}
