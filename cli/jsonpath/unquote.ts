/**
 * unquote reads a quoted literal of a JSONPath template (`"\t"`, `'a b'`) the way kubectl's
 * UnquoteExtend does: Go's escape sequences (\a \b \f \n \r \t \v \\ \' \" \xHH \uHHHH
 * \UHHHHHHHH \ooo), in single or double quotes. It throws "invalid syntax" as Go does.
 */
export function unquote(quoted: string): string {
  const quote = quoted[0];
  if (quoted.length < 2 || (quote !== '"' && quote !== "'") || quoted[quoted.length - 1] !== quote) throw new Error('invalid syntax');
  const s = quoted.slice(1, -1);
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === quote) throw new Error('invalid syntax');
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = s[i + 1];
    i += 2;
    const simple = SIMPLE_ESCAPES[e ?? ''];
    if (simple !== undefined) {
      out += simple;
    } else if (e === '\\' || e === "'" || e === '"') {
      // Go accepts only the escape of the quote in use.
      if (e !== '\\' && e !== quote) throw new Error('invalid syntax');
      out += e;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const digits = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = s.slice(i, i + digits);
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) throw new Error('invalid syntax');
      const code = parseInt(hex, 16);
      if (e !== 'x' && (code > 0x10ffff || (code >= 0xd800 && code < 0xe000))) throw new Error('invalid syntax');
      out += String.fromCodePoint(code);
      i += digits;
    } else if (e !== undefined && e >= '0' && e <= '7') {
      const oct = s.slice(i - 1, i + 2);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) throw new Error('invalid syntax');
      out += String.fromCharCode(parseInt(oct, 8));
      i += 2;
    } else {
      throw new Error('invalid syntax');
    }
  }
  return out;
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
