import { newId, UUID_RE } from './ids';

describe('newId', () => {
  it('makes version-7 UUIDs that sort by creation time', () => {
    const ids = Array.from({ length: 2000 }, () => newId());
    for (const id of ids) expect(id).toMatch(UUID_RE);
    expect(ids[0][14]).toBe('7');
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
