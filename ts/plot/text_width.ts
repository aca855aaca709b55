// Text widths for layout (legend boxes, model-graph boxes), estimated from DejaVu Sans'
// advance widths by character class: close enough to size boxes around rendered text.

const NARROW = new Set("il.,:;|!'()[]{} tfjrI`");
const WIDE = new Set('mwMW@%');

/** The approximate width in pixels of `text` set in DejaVu Sans at `fontSize` pixels. */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let ems = 0;
  for (const character of text) {
    if (NARROW.has(character)) ems += 0.34;
    else if (WIDE.has(character)) ems += 0.9;
    else if (character >= 'A' && character <= 'Z') ems += 0.7;
    else ems += 0.61;
  }
  return ems * fontSize * (bold ? 1.1 : 1);
}
