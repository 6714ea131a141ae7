import { describe, expect, it } from 'vitest'
import { cityToday, localTime, withCityOffset } from '../../src/lib/format'

describe('city time', () => {
  it("is Asia/Shanghai's day, not the browser's", () => {
    expect(cityToday(new Date('2026-11-30T16:30:00Z'))).toBe('2026-12-01')
    expect(cityToday(new Date('2026-11-30T15:30:00Z'))).toBe('2026-11-30')
  })
  it('shows API times in city time', () => {
    expect(localTime('2026-12-01T01:05:00+00:00', 'zh_CN')).toContain('09:05')
    expect(localTime(null, 'en')).toBe('—')
  })
  it('sends datetime-local values with the +08:00 offset the API requires', () => {
    expect(withCityOffset('2026-12-03T09:00')).toBe('2026-12-03T09:00:00+08:00')
  })
})
