import { describe, expect, it } from 'vitest';
import { maskQuery } from './server.js';

describe('log masking', () => {
  it('keeps paths and paging, hides search terms', () => {
    expect(maskQuery('/api/v1/accounts?q=13812345678&page=2&pageSize=20')).toBe('/api/v1/accounts?q=*&page=2&pageSize=20');
    expect(maskQuery('/api/v1/accounts/5')).toBe('/api/v1/accounts/5');
  });
});
