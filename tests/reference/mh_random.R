# Reference values for RevMan 5's "M-H, Random" model (tests/test_mh_random.py).
# Run from the repository root:  Rscript tests/reference/mh_random.R
# Needs R metafor 3.8-1 with metadat and jsonlite; writes tests/reference/mh_random.json.
#
# RevMan 5 (Deeks & Higgins 2010, "Statistical algorithms in Review Manager 5"; R meta's
# metabin with Q.Cochrane = TRUE and MH.exact = FALSE) composed from metafor functions:
#   1. 0.5 is added to every cell of a table with a zero cell, both for the studies' own
#      effects and inside the Mantel-Haenszel estimator (rma.mh add/to given twice);
#      double-zero tables are left out of OR and RR and kept for RD;
#   2. Q = sum (y_i - theta_MH)^2 / v_i around the Mantel-Haenszel estimate (rma.mh's QE; the
#      script checks that QE is exactly this sum);
#   3. tau^2 = max(0, (Q - df) / (sum w - sum w^2 / sum w)), w = 1/v (DerSimonian-Laird);
#   4. the inverse-variance random-effects model with that tau^2: rma(yi, vi, tau2 = tau^2).
# "M-H, Fixed" is rma.mh itself (estimate, CI, z, QE, I^2); its study weights are metafor's
# weights() of the rma.mh fit, which the script checks against Deeks & Higgins' formulas
# (OR b_i c_i / N_i, RR c_i n1_i / N_i, RD n1_i n2_i / N_i on the corrected tables).
suppressMessages({library(metafor); library(jsonlite)})

tables <- list(
  bcg = with(dat.bcg, data.frame(ai = tpos, bi = tneg, ci = cpos, di = cneg)),
  egger2001 = with(dat.egger2001, data.frame(ai = ai, bi = n1i - ai, ci = ci, di = n2i - ci)),
  hine1989 = with(dat.hine1989, data.frame(ai = ai, bi = n1i - ai, ci = ci, di = n2i - ci)),
  li2007 = with(dat.li2007, data.frame(ai = ai, bi = n1i - ai, ci = ci, di = n2i - ci)),
  yusuf1985 = with(subset(dat.yusuf1985, table == "6"),
                   data.frame(ai = ai, bi = n1i - ai, ci = ci, di = n2i - ci)),
  # a small constructed set with single-zero and double-zero tables
  sparse = data.frame(ai = c(0, 2, 0, 5, 1, 0), bi = c(25, 48, 30, 95, 39, 20),
                      ci = c(3, 0, 0, 9, 4, 2), di = c(22, 50, 31, 91, 36, 18))
)
tables <- lapply(tables, function(t) t[complete.cases(t), ])

cases <- list()
for (name in names(tables)) {
  t <- tables[[name]]
  for (measure in c("OR", "RR", "RD")) {
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
    z <- 0.5 * (used$ai == 0 | used$bi == 0 | used$ci == 0 | used$di == 0)
    a <- used$ai + z; b <- used$bi + z; c <- used$ci + z; d <- used$di + z
    n <- a + b + c + d
    w_mh <- switch(measure, OR = b * c / n, RR = c * (a + b) / n, RD = (a + b) * (c + d) / n)
    stopifnot(all(abs(100 * w_mh / sum(w_mh) - weights(mh)) < 1e-10))
    stopifnot(abs(mh$I2 - max(0, 100 * (q - df) / q)) < 1e-10)
    tau2 <- max(0, (q - df) / (sum(w) - sum(w^2) / sum(w)))
    re <- rma(yi, vi, data = es, tau2 = tau2)
    cases[[length(cases) + 1]] <- list(
      dataset = name, measure = measure, k = length(es$yi),
      ai = used$ai, bi = used$bi, ci = used$ci, di = used$di,
      yi = as.numeric(es$yi), vi = as.numeric(es$vi),
      fixed = list(estimate = mh$beta[1], se = mh$se, ci_lower = mh$ci.lb, ci_upper = mh$ci.ub,
                   statistic = mh$zval, pvalue = mh$pval),
      q = mh$QE, q_df = df, q_pvalue = mh$QEp, i2 = max(0, 100 * (q - df) / q), tau2 = tau2,
      random = list(estimate = re$beta[1], se = re$se, ci_lower = re$ci.lb, ci_upper = re$ci.ub,
                    statistic = re$zval, pvalue = re$pval),
      weights = as.numeric(weights(re)),
      fixed_weights = as.numeric(weights(mh))
    )
  }
}

doc <- list(
  software = paste("R metafor", packageVersion("metafor"), "/ metadat", packageVersion("metadat")),
  cases = cases
)
writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, null = "null", pretty = FALSE),
           "tests/reference/mh_random.json")
