import { describe, expect, it } from 'vitest'
import { crowdAreas, dailySeries, dayTotal, kpis, type DashboardShape } from '../../src/lib/dashboard'

const body: DashboardShape = {
  from: '2026-11-29',
  to: '2026-12-01',
  days: ['2026-11-29', '2026-11-30', '2026-12-01'],
  generated_at: '2026-12-01T10:00:00+08:00',
  scope: { departments: null },
  domains: {
    bookings: {
      daily: { made: { tourism: { '2026-12-01': 4 }, gov: { '2026-11-30': 2, '2026-12-01': 3 } }, cancelled: {}, no_show: {} },
      current: {},
      totals: { made: 9 },
    },
    gov: {
      daily: {},
      current: { overdue_cases: 2, follow_ups: { open: 1, overdue: 0 }, applications_by_state: {} },
      totals: { applications: 5, good_rate: 0.8333 },
    },
    tourism: {
      daily: {},
      current: { scenic_areas: [{ id: 'a', name: '王屋山', crowd: { level: 'green', occupancy: 10, capacity: 100, stale: false }, peak_occupancy: 12, peak_level: 'green', location: { lat: 35.2, lng: 112.2 } }] },
      totals: {},
    },
  },
}

describe('dailySeries', () => {
  it('fills every day of the range, missing days as 0, series sorted by name', () => {
    expect(dailySeries(body, 'bookings', 'made')).toEqual([
      { name: 'gov', data: [0, 2, 3] },
      { name: 'tourism', data: [0, 0, 4] },
    ])
  })
  it('is empty for a domain the reader may not see', () => {
    expect(dailySeries(body, 'community', 'reported')).toEqual([])
  })
})

describe('kpis', () => {
  it("shows today's bookings summed over owners, and leaves out domains not in the answer", () => {
    const byKey = Object.fromEntries(kpis(body).map((k) => [k.key, k.value]))
    expect(dayTotal(body, 'bookings', 'made', '2026-12-01')).toBe(7)
    expect(byKey.bookingsMade).toBe(7)
    expect(byKey.overdue).toBe(2)
    expect(byKey.satisfaction).toBe('83.3%')
    expect(byKey.followUps).toBe(1)
    expect('openReports' in byKey).toBe(false)
    expect('deadLetters' in byKey).toBe(false)
  })
  it('shows the numeric totals of domains it has no labels for', () => {
    const extra = { ...body, domains: { ...body.domains, education: { daily: {}, current: {}, totals: { applications: 3, note: 'x' } } } }
    const tile = kpis(extra).find((k) => k.key === 'education.applications')
    expect(tile).toEqual({ key: 'education.applications', value: 3, label: 'education · applications' })
    expect(kpis(extra).some((k) => k.key === 'education.note')).toBe(false)
  })
})

describe('crowdAreas', () => {
  it('reads the scenic areas of the tourism figures', () => {
    expect(crowdAreas(body).map((a) => a.name)).toEqual(['王屋山'])
  })
})
