import type { Tx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { isUniqueViolation } from '../../db/errors.js';
import { isoDateTime } from '../../http/schemas.js';
import { centsToMoney, formatMoney, totalCents } from '../../lib/money.js';
import {
  cartEmpty,
  idempotencyKeyMismatch,
  insufficientStock,
  itemsUnavailable,
  orderNotFound,
  paymentFailed,
  type StockShortage,
} from './orders.errors.js';
import { enqueueOrderConfirmation } from './orders.jobs.js';
import {
  findIdempotentOrder,
  findOrder,
  findOrderIdByIdempotencyKey,
  findOrderLines,
  findAllOrdersWithBuyer,
  findOrders,
  insertOrder,
  insertOrderItems,
  releaseExpiredIdempotencyKey,
  type OrderLineRow,
  type OrderRow,
} from './orders.repository.js';
import type { AdminOrderResponse, OrderItemResponse, OrderResponse } from './orders.schemas.js';
import { clearCheckedOutLines, lockCartForCheckout } from '../cart/cart.service.js';
import { lockBooksForCheckout, sellCopies } from '../stock/stock.service.js';

export interface CheckoutRequest {
  userId: number;
  forcePaymentFailure: boolean;
  idempotencyKey?: string;
}

function toOrder(order: OrderRow, lines: OrderLineRow[]): OrderResponse {
  const items: OrderItemResponse[] = lines.map((l) => ({
    id: l.id,
    book_id: l.bookId,
    quantity: l.quantity,
    unit_price: formatMoney(l.unitPrice),
    book:
      l.bookId === null || l.title === null
        ? null
        : {
            id: l.bookId,
            title: l.title,
            author: l.author ?? '',
            cover_image_url: l.coverImageUrl,
            price: l.price === null ? null : formatMoney(l.price),
          },
  }));
  return {
    id: order.id,
    status: order.status,
    created_at: isoDateTime(order.createdAt),
    items,
    total_price: centsToMoney(totalCents(lines, (l) => l.unitPrice)),
  };
}

/**
 * What checkout needs of the pre-bookings (prebooks.checkout.ts, given by the composition root, src/services.ts),
 * so that orders does not depend on the pre-bookings module.
 */
export interface CheckoutPreBookings {
  /**
   * For the books the checkout locked (ascending id): copies held for others and for the buyer, once holds past
   * their expiry are ended; `onExpired` hears which books had such holds.
   */
  holdsFor(
    tx: Tx,
    books: { id: number; title: string; author: string; stockQuantity: number }[],
    userId: number,
    onExpired: (bookIds: number[]) => void,
  ): Promise<Map<number, { heldForOthers: number }>>;
  /** Converts the buyer's notified pre-bookings of the ordered books (consuming their held copies). */
  convert(tx: Tx, opts: { userId: number; orderId: number; bookIds: number[]; at: Date }): Promise<unknown>;
  /** In a transaction of its own: ends the book's expired holds for good and passes the copies on. */
  passOnExpiredHolds(bookId: number): Promise<unknown>;
}

export function createOrdersService(
  deps: Pick<Deps, 'db' | 'config' | 'clock'>,
  preBookings: CheckoutPreBookings,
) {
  const { db, config, clock } = deps;
  // How long an Idempotency-Key replays its order; after that it is a new checkout (as Stripe: 24 hours).
  const idempotencyKeyTtlMs = config.IDEMPOTENCY_KEY_TTL_HOURS * 60 * 60 * 1000;

  /** Orders with their lines, loaded in two queries whatever the number of orders. */
  async function withLines(orders: OrderRow[]): Promise<OrderResponse[]> {
    const lines = await findOrderLines(
      db,
      orders.map((o) => o.id),
    );
    const byOrder = new Map<number, OrderLineRow[]>();
    for (const line of lines) {
      const list = byOrder.get(line.orderId) ?? [];
      list.push(line);
      byOrder.set(line.orderId, list);
    }
    return orders.map((o) => toOrder(o, byOrder.get(o.id) ?? []));
  }

  async function getOrder(orderId: number, userId?: number): Promise<OrderResponse> {
    const order = await findOrder(db, orderId);
    if (!order || (userId !== undefined && order.userId !== userId)) throw orderNotFound();
    const [response] = await withLines([order]);
    return response!;
  }

  function paymentDeclined(force: boolean): boolean {
    return (
      force || (config.MOCK_PAYMENT_DECLINE_RATE > 0 && Math.random() < config.MOCK_PAYMENT_DECLINE_RATE)
    );
  }

  /**
   * One short transaction (contract §5.3 with §7.9): lock the cart (serialises checkouts of one cart), lock the
   * books in ascending id order, validate every line, take the mock payment, then write the order, decrement
   * stock, empty the cart and enqueue the confirmation e-mail. Returns the order id.
   */
  async function placeOrder(req: CheckoutRequest): Promise<number> {
    const expiredInCheckout: number[] = [];
    return placeOrderTx(req, expiredInCheckout).catch(async (err: unknown) => {
      // A refused checkout rolls back the hold expiries it found: they are passed on for good here, at once
      // (otherwise the expiry job or the sweep would).
      for (const bookId of expiredInCheckout) {
        await preBookings.passOnExpiredHolds(bookId).catch(() => undefined);
      }
      throw err;
    });
  }

  async function placeOrderTx(req: CheckoutRequest, expiredInCheckout: number[]): Promise<number> {
    return db.transaction(async (tx) => {
      const cart = await lockCartForCheckout(tx, req.userId);
      if (req.idempotencyKey !== undefined) {
        await releaseExpiredIdempotencyKey(
          tx,
          req.userId,
          req.idempotencyKey,
          new Date(clock.now().getTime() - idempotencyKeyTtlMs),
        );
        // After the cart lock: a concurrent retry with the same key waits here and then finds the first order.
        const existing = await findIdempotentOrder(tx, req.userId, req.idempotencyKey);
        if (existing !== undefined) {
          // A replay is the same request: the order was placed without forced failure (a forced one places
          // nothing), and the cart is either what it consumed (now empty) or the same lines again.
          const cartNow = cart?.lines ?? [];
          const sameCart =
            cartNow.length === 0 ||
            (cartNow.length === existing.lines.length &&
              cartNow.every(
                (l, i) =>
                  l.bookId === existing.lines[i]!.bookId && l.quantity === existing.lines[i]!.quantity,
              ));
          if (req.forcePaymentFailure || !sameCart) throw idempotencyKeyMismatch();
          return existing.id;
        }
      }
      const cartLines = cart?.lines ?? [];
      if (cartLines.length === 0) throw cartEmpty();

      const books = await lockBooksForCheckout(
        tx,
        cartLines.map((l) => l.bookId),
      );
      const bookById = new Map(books.map((b) => [b.id, b]));
      if (cartLines.some((l) => !bookById.has(l.bookId))) throw itemsUnavailable();
      // Copies held for notified readers (fifo) are not for sale to others; the buyer's own hold is theirs.
      const holds = await preBookings.holdsFor(tx, books, req.userId, (bookIds) =>
        expiredInCheckout.push(...bookIds),
      );
      const availableTo = (bookId: number) =>
        Math.max(bookById.get(bookId)!.stockQuantity - (holds.get(bookId)?.heldForOthers ?? 0), 0);
      const shortages: StockShortage[] = cartLines
        .filter((l) => availableTo(l.bookId) < l.quantity)
        .map((l) => ({ book_id: l.bookId, requested: l.quantity, available: availableTo(l.bookId) }));
      if (shortages.length > 0) throw insufficientStock(shortages);
      if (paymentDeclined(req.forcePaymentFailure)) throw paymentFailed();

      const order = await insertOrder(tx, req.userId, req.idempotencyKey);
      const lines = cartLines.map((l) => ({
        bookId: l.bookId,
        quantity: l.quantity,
        unitPrice: bookById.get(l.bookId)!.price,
      }));
      await insertOrderItems(tx, order.id, lines);
      // Converts the buyer's notified pre-bookings of these books, which also consumes their held copy.
      await preBookings.convert(tx, {
        userId: req.userId,
        orderId: order.id,
        bookIds: lines.map((l) => l.bookId),
        at: clock.now(),
      });
      await sellCopies(tx, lines);
      await clearCheckedOutLines(tx, cartLines);
      await enqueueOrderConfirmation(tx, order.id);
      return order.id;
    });
  }

  return {
    async checkout(req: CheckoutRequest): Promise<OrderResponse> {
      let orderId: number;
      try {
        orderId = await placeOrder(req);
      } catch (err) {
        // Two retries with one key from two carts cannot happen (one cart per user); this is the last guard.
        if (req.idempotencyKey === undefined || !isUniqueViolation(err, 'uq_orders_user_idempotency_key'))
          throw err;
        const existing = await findOrderIdByIdempotencyKey(db, req.userId, req.idempotencyKey);
        if (existing === undefined) throw err;
        orderId = existing;
      }
      return getOrder(orderId, req.userId);
    },

    async listOrders(userId: number): Promise<OrderResponse[]> {
      return withLines(await findOrders(db, userId));
    },

    async listAllOrders(): Promise<AdminOrderResponse[]> {
      const orders = await findAllOrdersWithBuyer(db);
      const responses = await withLines(orders);
      return responses.map((order, i) => ({
        ...order,
        user_id: orders[i]!.userId,
        user_email: orders[i]!.userEmail,
      }));
    },

    getOrder,
  };
}

export type OrdersService = ReturnType<typeof createOrdersService>;
