import { describe, expect, it } from 'vitest';
import { inferDates, orderOfFormat, parseDate } from '../../src/core/dates.js';

const iso = (r: ReturnType<typeof inferDates>): string[] => (r.dates ? [...r.values].map((x) => new Date(x).toISOString()) : []);

describe('inferDates', () => {
  it('reads month names in both orders, with or without a comma, weekday or ordinal', () => {
    const r = inferDates(['Jun 12 1998', 'Aug 07 1998']);
    expect(r.dates && r.formats).toEqual(['MMM DD YYYY']);
    expect(iso(r)).toEqual(['1998-06-12T00:00:00.000Z', '1998-08-07T00:00:00.000Z']);
    const s = inferDates(['12 June 1998', '1 July 2000', '3rd Sept 2001', 'Fri, 12 Jun 1998 10:00 PM', 'June 12, 1998', '12-Jun-1998']);
    expect(iso(s)).toEqual(['1998-06-12T00:00:00.000Z', '2000-07-01T00:00:00.000Z', '2001-09-03T00:00:00.000Z', '1998-06-12T22:00:00.000Z', '1998-06-12T00:00:00.000Z', '1998-06-12T00:00:00.000Z']);
    expect(s.dates && s.formats[0]).toBe('D MMMM YYYY');
  });

  it('decides the day order of numeric dates from the whole column and says how', () => {
    const dmy = inferDates(['06/12/1998', '13/06/1998']);
    expect(dmy.dates && [dmy.order, dmy.formats, dmy.orderReason]).toEqual(['DMY', ['DD/MM/YYYY'], 'day first: a first number is above 12']);
    expect(iso(dmy)[0]).toBe('1998-12-06T00:00:00.000Z');
    const mdy = inferDates(['06/12/1998', '06/13/1998']);
    expect(mdy.dates && [mdy.order, mdy.formats]).toEqual(['MDY', ['MM/DD/YYYY']]);
    expect(iso(mdy)[0]).toBe('1998-06-12T00:00:00.000Z');
    const unsure = inferDates(['06/12/1998', '01/02/1998']);
    expect(unsure.dates && unsure.orderReason).toMatch(/no number above 12/);
    // both orders seen: not one format, so not dates
    expect(inferDates(['06/13/1998', '13/06/1998']).dates).toBe(false);
  });

  it('reads times and time zones', () => {
    const r = inferDates(['1998-06-12 10:00', '1998-06-12T10:00:00+02:00', '1998-06-12 10:00 UTC', '1998-06-12 10:00:00.5Z', '1998-06-12 10:00 -0500']);
    expect(iso(r)).toEqual(['1998-06-12T10:00:00.000Z', '1998-06-12T08:00:00.000Z', '1998-06-12T10:00:00.000Z', '1998-06-12T10:00:00.500Z', '1998-06-12T15:00:00.000Z']);
  });

  it('refuses impossible dates and names the ones that fail', () => {
    const r = inferDates(['Jun 31 1998', 'Jun 12 1998', 'Feb 29 1999', 'hello']);
    expect(r).toEqual({ dates: false, parsed: 1, failures: ['Jun 31 1998', 'Feb 29 1999', 'hello'] });
    expect(inferDates(['hello', 'world'])).toEqual({ dates: false, parsed: 0, failures: ['hello', 'world'] });
    expect(inferDates(['Jum 12 1998']).dates).toBe(false);
  });

  it('parses one value in a recorded order', () => {
    expect(parseDate('12/06/1998', orderOfFormat('DD/MM/YYYY'))).toBe(Date.UTC(1998, 5, 12));
    expect(parseDate('12/06/1998', orderOfFormat('MM/DD/YYYY'))).toBe(Date.UTC(1998, 11, 6));
    expect(parseDate('not a date')).toBeNaN();
  });
});
