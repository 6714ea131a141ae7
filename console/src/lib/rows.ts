// List items whose shape the OpenAPI document gives only as `object` are read as loose rows.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Row = Record<string, any>

export interface PageOf {
  items: Row[]
  next_cursor: string | null
}

export function itemsOf(data: unknown): Row[] {
  return ((data as PageOf | undefined)?.items ?? []) as Row[]
}
