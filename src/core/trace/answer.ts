/** Final-answer extraction from an answer / write-up text. Pure. */

/** Content of the last `\boxed{…}` (or `\fbox{…}`), braces balanced; `undefined` when none is closed. */
export function lastBoxed(text: string): string | undefined {
  const re = /\\(?:boxed|fbox)\s*\{/g;
  let found: string | undefined;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let depth = 1;
    let i = m.index + m[0].length;
    const start = i;
    for (; i < text.length && depth > 0; i++) {
      const c = text[i];
      if (c === '\\') i++; // skip escaped char such as \{ or \}
      else if (c === '{') depth++;
      else if (c === '}') depth--;
    }
    if (depth === 0) found = text.slice(start, i - 1).trim();
  }
  return found;
}

/** The value after the last `#### ` marker (GSM8K), commas removed from numbers. */
export function hashAnswer(text: string): string | undefined {
  const re = /^[^\S\n]*####[^\S\n]*(.+?)[^\S\n]*$/gm;
  let found: string | undefined;
  for (let m = re.exec(text); m; m = re.exec(text)) found = m[1];
  return found === undefined ? undefined : /^[-\d,.]+$/.test(found) ? found.replace(/,/g, '') : found;
}

/** The last fenced code block's content. */
export function lastCodeBlock(text: string): string | undefined {
  const re = /^[^\S\n]*(`{3,}|~{3,})[^\n]*\n([\s\S]*?)^[^\S\n]*\1[^\S\n]*$/gm;
  let found: string | undefined;
  for (let m = re.exec(text); m; m = re.exec(text)) found = m[2].replace(/\r?\n$/, '');
  return found;
}

/** "the answer is X", "Final answer: X", or a last line "A: X". */
export function statedAnswer(text: string): string | undefined {
  const re = /(?:the (?:final )?answer is|final answer\s*(?:is)?\s*[:：])\s*:?\s*([^\n]+)/gi;
  let found: string | undefined;
  for (let m = re.exec(text); m; m = re.exec(text)) found = m[1];
  if (found === undefined) {
    const last = /(?:^|\n)[^\S\n]*(?:A|Answer)\s*:\s*([^\n]+?)\s*$/.exec(text);
    if (last) found = last[1];
  }
  if (found === undefined) return undefined;
  const cleaned = found
    .replace(/\*\*/g, '')
    .replace(/^\$+|\$+$/g, '')
    .trim()
    .replace(/[.。]\s*$/, '')
    .replace(/^\$+|\$+$/g, '')
    .trim();
  return cleaned || undefined;
}

/**
 * The final answer stated in `answer`: the last `\boxed{}` (nested braces), else `#### N`, else the last
 * fenced code block, else "the answer is …" / "A: …". `undefined` when none is present.
 */
export function extractFinalAnswer(answer: string): string | undefined {
  return lastBoxed(answer) ?? hashAnswer(answer) ?? lastCodeBlock(answer) ?? statedAnswer(answer);
}
