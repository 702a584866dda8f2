import type { Deps } from './deps.js';
import { createAnalyticsService } from './modules/analytics/analytics.service.js';
import { createGoogleSignIn } from './modules/auth/auth.google.js';
import { createLoginThrottle } from './modules/auth/auth.login-throttle.js';
import { createAuthService, endAllSessions } from './modules/auth/auth.service.js';
import { createBooksService } from './modules/books/books.service.js';
import { createCartService } from './modules/cart/cart.service.js';
import { createGenresService } from './modules/genres/genres.service.js';
import { createNotificationHub } from './modules/notifications/notifications.live.js';
import { createNotificationService } from './modules/notifications/notifications.service.js';
import { createOrdersService } from './modules/orders/orders.service.js';
import { checkoutPreBookings } from './modules/prebooks/prebooks.checkout.js';
import { createPreBookingService } from './modules/prebooks/prebooks.service.js';
import { createReviewsService } from './modules/reviews/reviews.service.js';
import { createStockService } from './modules/stock/stock.service.js';
import { createUploadsService } from './modules/uploads/uploads.service.js';
import { createUsersService } from './modules/users/users.service.js';
import { createWishlistService } from './modules/wishlist/wishlist.service.js';

/**
 * Every service of the modules, built once from the process's deps (the second half of the composition root):
 * the app hands each route plugin the ones it uses. Built from the deps as given, so a test's overrides (clock,
 * log, mailer…) reach every service. Nothing here holds a connection until it is used; the notification hub's
 * LISTEN connection is ended by the notifications routes when the app closes.
 */
export function createServices(deps: Deps) {
  const auth = createAuthService(deps, {
    throttle: createLoginThrottle(deps.counters, {
      maxFailures: deps.config.LOGIN_MAX_FAILURES,
      maxFailuresPerAccount: deps.config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
    }),
  });
  return {
    auth,
    google: createGoogleSignIn(deps, auth),
    users: createUsersService(deps, { endAll: endAllSessions }),
    genres: createGenresService(deps),
    books: createBooksService(deps),
    stock: createStockService(deps),
    uploads: createUploadsService(deps),
    cart: createCartService(deps),
    orders: createOrdersService(deps, checkoutPreBookings(deps)),
    wishlist: createWishlistService(deps),
    prebooks: createPreBookingService(deps),
    notifications: createNotificationService(deps),
    notificationHub: createNotificationHub(deps),
    reviews: createReviewsService(deps),
    analytics: createAnalyticsService(deps),
  };
}

export type Services = ReturnType<typeof createServices>;
