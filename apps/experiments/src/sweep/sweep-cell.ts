import type { RunConfig } from '../config/schema';

/** One unit of a sweep: a fully resolved run config that trains into `<runs-dir>/<id>/`. */
export interface SweepCell {
  /**
   * Directory name and `--only` value, e.g. `single-K8192-D8`, `hier-K4096-D8`,
   * `ladder-reset-single`, `single-K8192-D8-seed1`: `[A-Za-z0-9._-]+`, never `.` or `..`.
   */
  id: string;
  config: RunConfig;
  /** One line for listings. */
  description: string;
}
