/**
 * The `reasoningLens.fieldMapping` setting: file glob → field mapping. Pure (the extension reads the
 * setting and hands it in), so the glob rules are unit-tested like the rest of the core.
 */
import { FIELD_ROLES, type FieldMapping } from './fields';
import { isRecord } from './safeJson';

/** A glob as a regular expression: `**` crosses folders, `*` and `?` do not. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more folders.
      if (glob[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i++;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * The mapping for `file` from `settings` (glob → mapping). A glob without `/` matches the file name; one
 * with `/` matches the end of the path. The first matching glob wins; invalid entries are ignored.
 */
export function mappingForFile(settings: unknown, file: string): FieldMapping | undefined {
  if (!isRecord(settings)) return undefined;
  const path = file.replace(/\\/g, '/');
  const name = path.slice(path.lastIndexOf('/') + 1);
  for (const glob of Object.keys(settings)) {
    const value = settings[glob];
    if (!isRecord(value)) continue;
    const re = globToRegExp(glob);
    const matches = glob.includes('/') ? path.split('/').some((_, i, parts) => re.test(parts.slice(i).join('/'))) : re.test(name);
    if (!matches) continue;
    const mapping: Partial<Record<(typeof FIELD_ROLES)[number], string>> = {};
    for (const role of FIELD_ROLES) if (typeof value[role] === 'string' && value[role]) mapping[role] = value[role] as string;
    return Object.keys(mapping).length ? mapping : undefined;
  }
  return undefined;
}
