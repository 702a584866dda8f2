import { describe, expect, it } from 'vitest';
import { settledAllocation } from './prebooks.rules.js';

describe('settledAllocation', () => {
  it('on fifo holds one free copy per waiting reader, in as far as there are copies', () => {
    expect(settledAllocation({ policy: 'fifo', stockQuantity: 2, held: 0, waiting: 5 })).toEqual({
      held: 2,
      available: 0,
      waiting: 3,
      toNotify: 2,
      toRequeue: 0,
    });
    expect(settledAllocation({ policy: 'fifo', stockQuantity: 6, held: 1, waiting: 2 })).toEqual({
      held: 3,
      available: 3,
      waiting: 0,
      toNotify: 2,
      toRequeue: 0,
    });
  });

  it('hands holds above the stock back to the queue, and never answers a negative availability', () => {
    expect(settledAllocation({ policy: 'fifo', stockQuantity: 1, held: 3, waiting: 0 })).toEqual({
      held: 1,
      available: 0,
      waiting: 2,
      toNotify: 0,
      toRequeue: 2,
    });
    expect(settledAllocation({ policy: 'broadcast', stockQuantity: 0, held: 1, waiting: 4 }).available).toBe(
      0,
    );
  });

  it('on broadcast holds nothing new: held copies stay held, the rest is available', () => {
    expect(settledAllocation({ policy: 'broadcast', stockQuantity: 5, held: 1, waiting: 3 })).toEqual({
      held: 1,
      available: 4,
      waiting: 3,
      toNotify: 0,
      toRequeue: 0,
    });
  });
});
