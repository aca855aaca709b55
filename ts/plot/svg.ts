// A small SVG writer: elements as strings, escaped, for the plots to assemble.

export type Attributes = Record<string, string | number | undefined>;

/** matplotlib's default font, which kiln ships for PNG output (see figure_file.ts). */
export const FONT_FAMILY = 'DejaVu Sans, sans-serif';

/** Text made safe for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Numbers rounded to 0.01 px: shorter files, no visible change. */
function formatValue(value: string | number): string {
  return typeof value === 'number' ? String(Math.round(value * 100) / 100) : escapeXml(value);
}

function attributeText(attributes: Attributes): string {
  return Object.entries(attributes)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => ` ${name}="${formatValue(value as string | number)}"`)
    .join('');
}

/** One element; `children` are already-rendered elements. */
export function element(tag: string, attributes: Attributes = {}, children: string[] = []): string {
  const attrs = attributeText(attributes);
  return children.length === 0 ? `<${tag}${attrs}/>` : `<${tag}${attrs}>${children.join('')}</${tag}>`;
}

/** A text element whose content is escaped. */
export function textElement(content: string, attributes: Attributes): string {
  return `<text${attributeText(attributes)}>${escapeXml(content)}</text>`;
}

/** A whole SVG document on a white background (as matplotlib saves figures). */
export function svgDocument(width: number, height: number, children: string[], definitions: string[] = []): string {
  const defs = definitions.length > 0 ? [element('defs', {}, definitions)] : [];
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    element('svg', { xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${width} ${height}`, 'font-family': FONT_FAMILY }, [
      ...defs,
      element('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }),
      ...children,
    ]) +
    '\n'
  );
}
