import { saveModel, type VQVAE } from '@vqkit/models';
import { selectBackend } from '../backend';
import { type CapacitySummary, capacitySummary } from '../capacity-summary';
import { PlaygroundError } from '../errors';
import { playgroundMetadata } from '../export-model';
import { defaultOptions, type PlaygroundOptions, parseOptions } from '../options';
import { RUN_FORMAT, type RunRecord } from '../run-record';
import { type LoopCallbacks, TrainingLoop } from '../train-loop';
import { buildModel, type ModelOptions, modelOptions } from '../vqvae';
import { showCapacity } from './capacity-view';
import { download } from './download';
import { fillForm, readForm, setRunning } from './form';
import { decodeImageFile, loadBundledPhoto, type Photo, preparePhoto } from './image-input';
import { LiveView, liveElements } from './live-view';

/** A finished (or stopped) run: the model that can still be exported and its numbers. */
interface Trained {
  model: VQVAE;
  modelOptions: ModelOptions;
  record: RunRecord;
}

/** The page: wires the form, the photo, the training loop, the live view and the exports. */
export class PlaygroundPage {
  private readonly form: HTMLFormElement;
  private readonly message: HTMLElement;
  private readonly original: HTMLCanvasElement;
  private readonly buttons: Record<
    'train' | 'stop' | 'exportModel' | 'exportJson',
    HTMLButtonElement
  >;
  private readonly live: LiveView;
  private photo: Photo | null = null;
  private loop: TrainingLoop | null = null;
  /** A run is being set up or trained (from pressing Train until it has ended). */
  private busy = false;
  /** Stop was pressed while the run was still being set up. */
  private stopEarly = false;
  private trained: Trained | null = null;

  constructor(private readonly doc: Document) {
    const byId = <T extends HTMLElement>(id: string) => doc.getElementById(id) as T;
    this.form = byId<HTMLFormElement>('options');
    this.message = byId('message');
    this.original = byId<HTMLCanvasElement>('original-canvas');
    this.buttons = {
      train: byId('train'),
      stop: byId('stop'),
      exportModel: byId('export-model'),
      exportJson: byId('export-json'),
    };
    this.live = new LiveView(liveElements(doc));
  }

  /** Fills the form with the defaults, loads the first bundled photo and listens to the controls. */
  async mount(): Promise<void> {
    fillForm(this.form, defaultOptions());
    this.form.addEventListener('input', () => this.refresh());
    this.form.addEventListener('change', (e) => this.onChange(e));
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.train();
    });
    this.buttons.stop.addEventListener('click', () => this.stop());
    this.buttons.exportModel.addEventListener('click', () => void this.exportModel());
    this.buttons.exportJson.addEventListener('click', () => this.exportJson());
    this.listenForDrops();
    await this.usePhoto(() => loadBundledPhoto(this.selectedBundledPhoto()));
    this.doc.body.dataset.ready = 'true';
  }

  private selectedBundledPhoto(): string {
    return (this.form.elements.namedItem('photo') as HTMLSelectElement).value;
  }

  private onChange(e: Event): void {
    const target = e.target as HTMLInputElement;
    if (target.name === 'photo') void this.usePhoto(() => loadBundledPhoto(target.value));
    else if (target.name === 'file' && target.files?.[0] !== undefined) {
      const file = target.files[0];
      void this.usePhoto(() => decodeImageFile(file));
    }
  }

  private listenForDrops(): void {
    // Dropping anywhere must never navigate away from the page (and lose a run).
    for (const type of ['dragover', 'drop'] as const) {
      this.doc.addEventListener(type, (e) => e.preventDefault());
    }
    this.form.addEventListener('dragover', () => this.form.classList.add('dragging'));
    this.form.addEventListener('dragleave', () => this.form.classList.remove('dragging'));
    this.form.addEventListener('drop', (e) => {
      this.form.classList.remove('dragging');
      const file = e.dataTransfer?.files?.[0];
      if (file === undefined) {
        const what = 'Nothing usable was dropped: drop one image file (PNG, JPEG, WebP or GIF).';
        this.showError(new PlaygroundError(what, 'not-an-image'));
      } else if (this.busy) {
        const what = `'${file.name}' was not loaded: a run is in progress. Stop it first, then drop the image again.`;
        this.showError(new PlaygroundError(what, 'bad-option'));
      } else void this.usePhoto(() => decodeImageFile(file));
    });
  }

  /** Loads a photo; on failure the message says why and the previous photo stays in use. */
  private async usePhoto(load: () => Promise<Photo>): Promise<void> {
    try {
      const photo = await load();
      this.photo?.bitmap.close();
      this.photo = photo;
      this.refresh();
    } catch (error) {
      this.showError(error);
    }
  }

  private currentOptions(): PlaygroundOptions {
    return parseOptions(readForm(this.form));
  }

  /**
   * On every edit: re-validates the options, refreshes the capacity panel and redraws the photo
   * at the new size; the first problem found is shown, the page keeps working.
   */
  private refresh(): void {
    try {
      const options = this.currentOptions();
      try {
        showCapacity(this.doc, capacitySummary(options));
      } catch (error) {
        showCapacity(this.doc, null);
        throw error;
      }
      if (this.photo !== null) {
        preparePhoto(this.photo, options, this.original);
        this.original.dataset.photo = this.photo.name;
      }
      this.clearMessage();
    } catch (error) {
      this.showError(error);
    }
  }

  /** Stops the run at once: before its next step, or before its first when it is still starting. */
  private stop(): void {
    if (this.loop !== null) this.loop.stop();
    else if (this.busy) this.stopEarly = true;
  }

  private async train(): Promise<void> {
    if (this.busy) return;
    let options: PlaygroundOptions;
    let capacity: CapacitySummary;
    try {
      // Read before the controls are disabled: disabled controls are not part of the form data.
      options = this.currentOptions();
      capacity = capacitySummary(options);
    } catch (error) {
      this.showError(error);
      return;
    }
    this.busy = true;
    this.stopEarly = false;
    this.clearMessage();
    this.live.prepare();
    this.setRunning(true);
    try {
      const { loop, record } = await this.setUpRun(options, capacity);
      if (this.stopEarly) loop.stop();
      record.status = await loop.run();
      this.live.setState(record.status);
    } catch (error) {
      this.live.setState('failed');
      this.showError(error);
    } finally {
      this.loop = null;
      this.busy = false;
      this.setRunning(false);
    }
  }

  /** Backend, model, run record and loop for one run (the previous run's model is freed). */
  private async setUpRun(
    options: PlaygroundOptions,
    capacity: CapacitySummary,
  ): Promise<{ loop: TrainingLoop; record: RunRecord }> {
    if (this.photo === null) {
      throw new PlaygroundError(
        'No photo loaded yet: choose a bundled photo or your own image.',
        'not-an-image',
      );
    }
    const { image, layout } = preparePhoto(this.photo, options, this.original);
    const backend = await selectBackend(options.backend);
    this.disposeTrained();
    const mo = modelOptions(options);
    const model = buildModel(mo);
    const { name } = this.photo;
    const { width, height, tilesX, tilesY } = layout;
    const record = newRecord(options, backend.name, capacity, model.countParams(), {
      name,
      width,
      height,
      tilesX,
      tilesY,
    });
    this.trained = { model, modelOptions: mo, record };
    this.loop = new TrainingLoop(model, image, options, this.recorder(record));
    this.live.start(options.steps, backend);
    return { loop: this.loop, record };
  }

  /** Loop callbacks that append to the run record and update the live view. */
  private recorder(record: RunRecord): LoopCallbacks {
    return {
      onStep: (s) => {
        record.steps.push(s);
        this.live.step(s);
      },
      onReset: (r) => {
        record.resets.push(r);
        this.live.reset(r);
      },
      onEval: async (e, picture, counts) => {
        record.evals.push(e);
        record.final = e;
        await this.live.evaluation(e, picture, counts);
      },
    };
  }

  private setRunning(running: boolean): void {
    setRunning(this.form, running);
    this.buttons.train.disabled = running;
    this.buttons.stop.disabled = !running;
    const exportable = !running && this.trained !== null && this.trained.record.steps.length > 0;
    this.buttons.exportModel.disabled = !exportable;
    this.buttons.exportJson.disabled = !exportable;
  }

  private async exportModel(): Promise<void> {
    const t = this.trained;
    if (t === null) return;
    try {
      const bytes = await saveModel(t.model, { ...playgroundMetadata(t.modelOptions, t.record) });
      download(
        bytes,
        `vqkit-playground-${t.modelOptions.architecture}.safetensors`,
        'application/octet-stream',
      );
    } catch (error) {
      this.showError(error);
    }
  }

  private exportJson(): void {
    const t = this.trained;
    if (t === null) return;
    download(
      `${JSON.stringify(t.record, null, 2)}\n`,
      `vqkit-playground-run.json`,
      'application/json',
    );
  }

  private disposeTrained(): void {
    this.trained?.model.dispose();
    this.trained = null;
  }

  private showError(error: unknown): void {
    const text = error instanceof Error ? error.message : String(error);
    this.message.textContent = text;
    this.message.hidden = false;
  }

  private clearMessage(): void {
    this.message.textContent = '';
    this.message.hidden = true;
  }
}

function newRecord(
  options: PlaygroundOptions,
  backend: string,
  capacity: CapacitySummary,
  parameters: number,
  image: RunRecord['image'],
): RunRecord {
  return {
    format: RUN_FORMAT,
    options,
    backend,
    image,
    capacity: {
      trained: capacity.trained,
      partner: capacity.partner,
      bitsPerImage: capacity.bitsPerImage,
      bitsPerPixel: capacity.bitsPerPixel,
    },
    parameters,
    steps: [],
    evals: [],
    resets: [],
    status: 'finished',
    final: null,
  };
}
