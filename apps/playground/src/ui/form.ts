import type { PlaygroundOptions } from '../options';

/** Writes every option into the form control of the same name. */
export function fillForm(form: HTMLFormElement, options: PlaygroundOptions): void {
  for (const [key, value] of Object.entries(options)) {
    const control = form.elements.namedItem(key);
    if (control instanceof RadioNodeList) control.value = String(value);
    else if (control instanceof HTMLInputElement || control instanceof HTMLSelectElement)
      control.value = String(value);
  }
}

/** Every named control's current value as a string (files and the photo picker excluded). */
export function readForm(form: HTMLFormElement): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [key, value] of new FormData(form)) {
    if (typeof value === 'string' && key !== 'photo') raw[key] = value;
  }
  return raw;
}

/** Enables or disables the controls while a run is in progress (Stop is the opposite). */
export function setRunning(form: HTMLFormElement, running: boolean): void {
  for (const el of Array.from(form.elements)) {
    if (!(el instanceof HTMLInputElement || el instanceof HTMLSelectElement)) continue;
    el.disabled = running;
  }
}
