# RevMan 5's "M-H, Fixed" and "M-H, Random" models of 2x2 tables composed from metafor 3.8-1;
# sourced by mh_random.R and mh_subgroups.R (run those from the repository root).
#   1. 0.5 is added to every cell of a table with a zero cell, both for the studies' own
#      effects and inside the Mantel-Haenszel estimator (rma.mh add/to given twice);
#      double-zero tables are left out of OR and RR and kept for RD;
#   2. "M-H, Fixed" is rma.mh: estimate, CI, z, QE = sum (y_i - theta_MH)^2 / v_i (checked
#      here), I^2 = (QE - df)/QE (checked); its study weights are weights() of the rma.mh fit,
#      checked against Deeks & Higgins' formulas (OR b_i c_i / N_i, RR c_i n1_i / N_i,
#      RD n1_i n2_i / N_i on the corrected tables);
#   3. tau^2 = max(0, (QE - df) / (sum w - sum w^2 / sum w)), w = 1/v (DerSimonian-Laird);
#   4. "M-H, Random" is the inverse-variance random-effects model with that tau^2:
#      rma(yi, vi, tau2 = tau^2).
revman_mh <- function(t, measure) {
  drop <- measure != "RD"
  double <- (t$ai == 0 & t$ci == 0) | (t$bi == 0 & t$di == 0)
  used <- if (drop) t[!double, ] else t
  mh <- rma.mh(ai = ai, bi = bi, ci = ci, di = di, data = used, measure = measure,
               add = c(1/2, 1/2), to = c("only0", "only0"), drop00 = c(drop, drop))
  es <- escalc(measure = measure, ai = ai, bi = bi, ci = ci, di = di, data = used,
               add = 1/2, to = "only0", drop00 = drop)
  w <- 1 / es$vi
  q <- sum(w * (es$yi - mh$beta[1])^2)
  stopifnot(abs(q - mh$QE) < 1e-10 * max(1, q))
  df <- length(es$yi) - 1
  if (q > 0) stopifnot(abs(mh$I2 - max(0, 100 * (q - df) / q)) < 1e-10)
  z <- 0.5 * (used$ai == 0 | used$bi == 0 | used$ci == 0 | used$di == 0)
  a <- used$ai + z; b <- used$bi + z; c <- used$ci + z; d <- used$di + z
  n <- a + b + c + d
  w_mh <- switch(measure, OR = b * c / n, RR = c * (a + b) / n, RD = (a + b) * (c + d) / n)
  stopifnot(all(abs(100 * w_mh / sum(w_mh) - weights(mh)) < 1e-10))
  tau2 <- if (df >= 1) max(0, (q - df) / (sum(w) - sum(w^2) / sum(w))) else 0
  re <- rma(yi, vi, data = es, tau2 = tau2)
  list(used = used, mh = mh, es = es, df = df, tau2 = tau2, re = re)
}
