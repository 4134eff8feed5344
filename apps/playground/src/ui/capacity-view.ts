import { type CapacitySummary, describeConfig } from '../capacity-summary';

/** Writes the trained model, its matched partner and both bit counts into the capacity panel. */
export function showCapacity(doc: Document, summary: CapacitySummary | null): void {
  const set = (id: string, text: string) => {
    const el = doc.getElementById(id);
    if (el !== null) el.textContent = text;
  };
  if (summary === null) {
    for (const id of ['capacity-trained', 'capacity-partner', 'capacity-bits']) set(id, '–');
    return;
  }
  const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });
  set('capacity-trained', describeConfig(summary.trained));
  set('capacity-partner', describeConfig(summary.partner));
  const b = summary.bitsPerImage;
  const p = summary.bitsPerPixel;
  set(
    'capacity-bits',
    `trained ${fmt(b.trained)} (${p.trained.toFixed(3)} bits/pixel) · partner ${fmt(b.partner)} (${p.partner.toFixed(3)} bits/pixel)`,
  );
}
