// Turning GET /api/v1/ops/dashboard into chart data: pure functions, unit-tested.
export interface DashboardShape {
  from: string
  to: string
  days: string[]
  generated_at: string
  scope: { departments: string[] | null }
  domains: Record<string, DomainFigures>
}
export interface DomainFigures {
  daily: Record<string, Record<string, Record<string, number>>>
  current: Record<string, unknown>
  totals: Record<string, unknown>
}

export interface Series {
  name: string
  data: number[]
}

/** One metric of one domain as chart series over every day of the range (missing days are 0). */
export function dailySeries(body: DashboardShape, domain: string, metric: string): Series[] {
  const bySeries = body.domains[domain]?.daily?.[metric] ?? {}
  return Object.entries(bySeries)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, points]) => ({ name, data: body.days.map((day) => points[day] ?? 0) }))
}

/** The value of a metric on one day, summed over its series. */
export function dayTotal(body: DashboardShape, domain: string, metric: string, day: string): number {
  const bySeries = body.domains[domain]?.daily?.[metric] ?? {}
  return Object.values(bySeries).reduce((sum, points) => sum + (points[day] ?? 0), 0)
}

export interface Kpi {
  key: string
  value: number | string | null
  /** Set for figures of domains the console has no labels for (care, education, …): domain · name. */
  label?: string
}

const KNOWN = new Set(['bookings', 'gov', 'community', 'tourism', 'ops'])

function get(body: DashboardShape, domain: string, section: 'current' | 'totals', ...path: string[]): unknown {
  let node: unknown = body.domains[domain]?.[section]
  for (const key of path) node = (node as Record<string, unknown> | undefined)?.[key]
  return node ?? null
}

/** The headline figures, in display order; a domain the reader may not see is left out. */
export function kpis(body: DashboardShape): Kpi[] {
  const today = body.days[body.days.length - 1]
  const list: Kpi[] = []
  if (body.domains.bookings) {
    list.push({ key: 'bookingsMade', value: dayTotal(body, 'bookings', 'made', today) })
    list.push({ key: 'bookingsCancelled', value: dayTotal(body, 'bookings', 'cancelled', today) })
    list.push({ key: 'noShow', value: dayTotal(body, 'bookings', 'no_show', today) })
  }
  if (body.domains.gov) {
    list.push({ key: 'applications', value: get(body, 'gov', 'totals', 'applications') as number })
    list.push({ key: 'overdue', value: get(body, 'gov', 'current', 'overdue_cases') as number })
    const rate = get(body, 'gov', 'totals', 'good_rate') as number | null
    list.push({ key: 'satisfaction', value: rate === null ? '—' : `${Math.round(rate * 1000) / 10}%` })
    list.push({ key: 'followUps', value: get(body, 'gov', 'current', 'follow_ups', 'open') as number })
  }
  if (body.domains.community) {
    list.push({ key: 'openReports', value: get(body, 'community', 'current', 'open_reports') as number })
    list.push({ key: 'medianResolve', value: (get(body, 'community', 'totals', 'median_hours_to_resolve') as number) ?? '—' })
  }
  if (body.domains.ops) {
    list.push({ key: 'backlog', value: get(body, 'ops', 'current', 'outbox', 'backlog') as number })
    list.push({ key: 'deadLetters', value: get(body, 'ops', 'current', 'outbox', 'dead_letters') as number })
  }
  // Domains that joined later contribute their numeric totals as they are.
  for (const [domain, figures] of Object.entries(body.domains)) {
    if (KNOWN.has(domain)) continue
    for (const [name, value] of Object.entries(figures.totals ?? {})) {
      if (typeof value === 'number') list.push({ key: `${domain}.${name}`, value, label: `${domain} · ${name}` })
    }
  }
  return list
}

export interface CrowdArea {
  id: string
  name: string
  crowd: { level: string | null; occupancy: number | null; capacity: number; stale: boolean }
  peak_occupancy: number | null
  peak_level: string | null
  location: { lat: number; lng: number } | null
}

export const CROWD_COLOURS: Record<string, string> = {
  green: '#1a7f37',
  yellow: '#9a6700',
  orange: '#bc4c00',
  red: '#cf222e',
}

export function crowdAreas(body: DashboardShape): CrowdArea[] {
  return (get(body, 'tourism', 'current', 'scenic_areas') as CrowdArea[] | null) ?? []
}

export function openReportCells(body: DashboardShape): { lat: number; lng: number; open: number }[] {
  return (get(body, 'community', 'current', 'open_reports_map') as { lat: number; lng: number; open: number }[] | null) ?? []
}
