/** Byte-level helpers shared by the readers: binary sniffing and lenient UTF-8 decoding. Pure. */

/** Bytes looked at by {@link looksBinary}. */
export const SNIFF_BYTES = 8192;

/**
 * True when `bytes` (the start of a file) is not text: it holds a NUL byte, or more than 10% control
 * characters other than tab, newline, carriage return, form feed and escape.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, SNIFF_BYTES);
  if (n === 0) return false;
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 0) return true;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) control++;
  }
  return control / n > 0.1;
}

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

/** Decodes UTF-8 (a leading BOM is dropped); invalid sequences become U+FFFD and `invalid` is set. */
export function decodeUtf8(bytes: Uint8Array): { text: string; invalid: boolean } {
  try {
    return { text: strict.decode(bytes), invalid: false };
  } catch {
    return { text: lenient.decode(bytes), invalid: true };
  }
}

/** Human-readable byte size ("64 MB"): the one formatter of src/shared/format. */
export { formatBytes } from '../../shared/format';
