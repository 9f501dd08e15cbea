/**
 * Final-answer extraction from an answer / write-up text. Pure.
 *
 * Prose markers (`\boxed{}`, `#### N`, `<answer>`, "Answer: …", "the answer is …") are looked for in
 * the prose only: fenced code blocks and `<code>` sections are masked first, so a comment or docstring
 * never yields the answer. A code task's answer is its last code block.
 */

/** `text` with every fenced code block and `<code>…</code>` section blanked (same length, newlines kept). */
function maskCode(text: string): string {
  const blank = (s: string): string => s.replace(/[^\n]/g, ' ');
  return text
    .replace(/^[^\S\n]*(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^[^\S\n]*\1[^\S\n]*$|(?![\s\S]))/gm, blank)
    .replace(/<code>[\s\S]*?(?:<\/code>|(?![\s\S]))/g, blank);
}

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

/** The last fenced code block: its content and where it ends in `text`. */
function lastFence(text: string): { content: string; end: number } | undefined {
  const re = /^[^\S\n]*(`{3,}|~{3,})[^\n]*\n([\s\S]*?)^[^\S\n]*\1[^\S\n]*$/gm;
  let found: { content: string; end: number } | undefined;
  for (let m = re.exec(text); m; m = re.exec(text)) found = { content: m[2]!.replace(/\r?\n$/, ''), end: m.index + m[0].length };
  return found;
}

/** The last code block, fenced or `<code>…</code>`, with where it ends. */
function lastCode(text: string): { content: string; end: number } | undefined {
  const fence = lastFence(text);
  const re = /<code>([\s\S]*?)<\/code>/g;
  let tagged: { content: string; end: number } | undefined;
  for (let m = re.exec(text); m; m = re.exec(text)) tagged = { content: m[1]!.replace(/^\n+|\s+$/g, ''), end: m.index + m[0].length };
  if (!fence) return tagged;
  if (!tagged) return fence;
  return tagged.end > fence.end ? tagged : fence;
}

/** The content of the last `<answer>…</answer>`. */
function taggedAnswer(text: string): string | undefined {
  const re = /<answer>([\s\S]*?)<\/answer>/g;
  let found: string | undefined;
  for (let m = re.exec(text); m; m = re.exec(text)) found = m[1]!.trim();
  return found || undefined;
}

function cleanStated(found: string): string | undefined {
  const cleaned = found
    .replace(/\*\*/g, '')
    .replace(/^\$+|\$+$/g, '')
    .trim()
    .replace(/[.。]\s*$/, '')
    // Trailing emoji or decoration ("**Answer: 3** 🍓").
    .replace(/[\s\p{Extended_Pictographic}\uFE0F]+$/u, '')
    .replace(/^\$+|\$+$/g, '')
    .trim();
  return cleaned || undefined;
}

/**
 * A labelled or stated answer, with where it is: `**Answer:** X`, `**Answer: X**`, `Final answer: X`,
 * "the answer is X", or a last line `A: X`. The last one wins.
 */
function stated(text: string): { value: string; at: number } | undefined {
  const re = /(?:the (?:final )?answer is|(?:^|\n)[^\S\n]*(?:\*\*)?(?:final answer|answer)(?:\*\*)?\s*(?:is)?\s*[:：](?:\*\*)?)\s*:?\s*([^\n]+)/gi;
  let found: { value: string; at: number } | undefined;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const value = cleanStated(m[1]!);
    if (value) found = { value, at: m.index };
  }
  if (found) return found;
  const last = /(?:^|\n)[^\S\n]*A\s*:\s*([^\n]+?)\s*$/.exec(text);
  if (last) {
    const value = cleanStated(last[1]!);
    if (value) return { value, at: last.index };
  }
  return undefined;
}

const CODE_LINE = /^(?:\s{2,}\S|\s*(?:def |class |import |from \S+ import|#include|using |public |private |fn |func |let |const |var |return\b|if\s*\(|for\s*\(|while\s*\(|for \w+ in |print\(|}|\{|#)|.*[;{}:]\s*$)/;
const CODE_KEYWORD = /^\s*(?:def |class |import |from \S+ import|#include|using namespace|public static|fn main|func |package |int main)/m;

/** True when `text` reads as source code rather than prose (most lines look like code, one is a definition or import). */
export function looksLikeCode(text: string): boolean {
  const lines = text.split('\n').filter((l) => l.trim());
  if (lines.length < 3 || !CODE_KEYWORD.test(text)) return false;
  const code = lines.filter((l) => CODE_LINE.test(l)).length;
  return code / lines.length >= 0.6;
}

/**
 * The final answer stated in `answer`: the last `\boxed{}` (nested braces), else `<answer>…</answer>`,
 * else `#### N`, else a labelled answer after the last code block, else the last code block (fenced or
 * `<code>`), else a stated answer anywhere. A text that is itself code (`isCode`, or one that reads as
 * code) answers with the code. `undefined` when none is present.
 */
export function extractFinalAnswer(answer: string, isCode = false): string | undefined {
  if (isCode || (!/```|~~~|<code>/.test(answer) && looksLikeCode(answer))) return answer.trim() || undefined;
  const prose = maskCode(answer);
  const boxed = lastBoxed(prose);
  if (boxed !== undefined) return boxed;
  const tagged = taggedAnswer(prose);
  if (tagged !== undefined) return tagged;
  const hash = hashAnswer(prose);
  if (hash !== undefined) return hash;
  const said = stated(prose);
  const code = lastCode(answer);
  if (code && (!said || said.at < code.end)) return code.content;
  return said?.value;
}
