/** A numeric column (numbers, integers, datetimes as epoch ms, booleans as 0/1); NaN is missing. */
export interface NumericColumn {
  kind: 'numeric';
  name: string;
  values: Float64Array;
  /** What the numbers mean, when not plain numbers (datetimes are epoch ms, booleans 0/1). */
  semantic?: 'datetime' | 'boolean' | 'integer';
}

/** A categorical column: codes into `levels`, -1 is missing. */
export interface CategoricalColumn {
  kind: 'categorical';
  name: string;
  codes: Int32Array;
  levels: string[];
}

/** A free-text column: one string per row, null is missing (a `text` feature step turns it into numbers). */
export interface TextColumn {
  kind: 'text';
  name: string;
  values: Array<string | null>;
}

/** One column of a {@link Frame}. */
export type FrameColumn = NumericColumn | CategoricalColumn | TextColumn;

/** How many rows a column's arrays hold. */
export function columnLength(c: FrameColumn): number {
  return c.kind === 'categorical' ? c.codes.length : c.values.length;
}

/** The column with its arrays reduced to the rows `idx` (positions in the arrays), in order. */
export function pickRows(c: FrameColumn, idx: ArrayLike<number>): FrameColumn {
  if (c.kind === 'numeric') return { ...c, values: Float64Array.from(idx, (r) => c.values[r]) };
  if (c.kind === 'categorical') return { ...c, codes: Int32Array.from(idx, (r) => c.codes[r]) };
  return { ...c, values: Array.from(idx, (r) => c.values[r]) };
}

/**
 * Columnar table. `index`, when set, selects and orders the rows of the underlying column
 * arrays, so a row subset shares the column data instead of copying it.
 */
export interface Frame {
  rows: number;
  columns: FrameColumn[];
  index: Int32Array | null;
}

/** A frame over whole columns (all rows, in order). */
export function makeFrame(columns: FrameColumn[]): Frame {
  const rows = columns.length === 0 ? 0 : columnLength(columns[0]);
  for (const c of columns) {
    const n = columnLength(c);
    if (n !== rows) throw new RangeError(`column ${c.name} has ${n} rows, expected ${rows}`);
  }
  return { rows, columns, index: null };
}

/** Rows `rows` (positions in `frame`) of a frame, without copying column data. */
export function takeRows(frame: Frame, rows: Int32Array): Frame {
  const index = frame.index === null ? rows : Int32Array.from(rows, (r) => frame.index![r]);
  return { rows: rows.length, columns: frame.columns, index };
}

/** The position in the column arrays of row `i` of the frame. */
export function rowOf(frame: Frame, i: number): number {
  return frame.index === null ? i : frame.index[i];
}

/** A column by name, or undefined. */
export function column(frame: Frame, name: string): FrameColumn | undefined {
  return frame.columns.find((c) => c.name === name);
}

/** The frame without the named columns. */
export function dropColumns(frame: Frame, names: readonly string[]): Frame {
  return { ...frame, columns: frame.columns.filter((c) => !names.includes(c.name)) };
}

/** The frame with its rows copied out in order (no index), so it holds only its own rows. */
export function compactFrame(frame: Frame): Frame {
  if (frame.index === null) return frame;
  const idx = frame.index;
  return {
    rows: frame.rows,
    index: null,
    columns: frame.columns.map((c) => pickRows(c, idx)),
  };
}
