# Independent reference values for the hand-built RevMan files (tests/data/revman, made by
# tests/data/revman/make_files.py with metareview's own numbers): what R metafor 3.8-1 gives
# for the same data under RevMan 5's methods (tests/test_revman_reference.py compares).
# Run from the repository root:  Rscript tests/reference/revman_handbuilt.R
# Writes tests/reference/revman_handbuilt.json. SMD outcomes are left out: RevMan's SMD
# variance is not one of metafor's.
suppressMessages({library(metafor); library(jsonlite)})
source("tests/reference/revman_mh.R")
ctrl <- list(threshold = 1e-12, tol = 1e-12)

# The data of make_files.py: 2x2 tables A-F, continuous C1-C5 (studies A-E).
D <- data.frame(study = LETTERS[1:6], ai = c(12, 5, 30, 0, 8, 0), n1 = c(100, 60, 210, 40, 75, 30),
                ci = c(20, 9, 41, 3, 7, 0), n2 = c(98, 61, 205, 42, 80, 31))
D$bi <- D$n1 - D$ai; D$di <- D$n2 - D$ci
C <- data.frame(study = LETTERS[1:5], m1 = c(10.2, 9.8, 11.0, 8.7, 10.5), sd1 = c(4.1, 3.9, 5.2, 3.1, 4.8),
                n1 = c(40, 25, 60, 18, 33), m2 = c(12.5, 10.1, 13.9, 11.2, 10.9),
                sd2 = c(4.4, 4.0, 5.0, 3.5, 4.6), n2 = c(42, 24, 58, 20, 35))
tab <- function(s) D[match(s, D$study), ]

summ <- function(fit, ratio, q, df, tau2, weights) {
  tr <- if (ratio) exp else identity
  list(effect = tr(fit$beta[1]), ci_lower = tr(fit$ci.lb), ci_upper = tr(fit$ci.ub),
       chi2 = q, df = df, p_chi2 = if (df >= 1) pchisq(q, df, lower.tail = FALSE) else NULL,
       i2 = if (q > 0) max(0, 100 * (q - df) / q) else 0, tau2 = tau2,
       z = abs(fit$zval), p_z = fit$pval, se = fit$se, estimate = fit$beta[1],
       weights = as.numeric(weights))
}
mh_fit <- function(s, measure, random, level = 95) {
  f <- revman_mh(tab(s), measure)
  if (random) {
    re <- rma(yi, vi, data = f$es, tau2 = f$tau2, level = level)
    summ(re, measure != "RD", f$mh$QE, f$df, f$tau2, weights(re))
  } else {
    summ(f$mh, measure != "RD", f$mh$QE, f$df, 0, weights(f$mh))
  }
}
iv_fit <- function(es, ratio, random, level = 95) {
  fit <- rma(yi, vi, data = es, method = if (random) "DL" else "FE", level = level, control = ctrl)
  summ(fit, ratio, fit$QE, fit$k - 1, if (random) fit$tau2 else 0, weights(fit))
}
between <- function(fits) {
  fe <- rma(yi = sapply(fits, `[[`, "estimate"), sei = sapply(fits, `[[`, "se"), method = "FE")
  q <- fe$QE; df <- length(fits) - 1
  list(q_between = q, df_between = df, p_between = pchisq(q, df, lower.tail = FALSE),
       i2_between = if (q > 0) max(0, 100 * (q - df) / q) else 0)
}
cases <- list()
add <- function(file, outcome, level, fit) {
  cases[[length(cases) + 1]] <<- list(file = file, outcome = outcome, level = level, values = fit)
}

# dichotomous.rm5
f <- "dichotomous.rm5"
adults <- mh_fit(c("A", "B", "C"), "RR", TRUE); children <- mh_fit(c("D", "E"), "RR", TRUE)
add(f, "1.1", "Adults", adults); add(f, "1.1", "Children", children)
add(f, "1.1", "total", c(mh_fit(c("A", "B", "C", "D", "E"), "RR", TRUE), between(list(adults, children))))
add(f, "1.2", "total", mh_fit(c("A", "B", "D", "F"), "RD", FALSE))
t <- tab(c("A", "C", "D", "E"))
peto <- rma.peto(ai = ai, bi = bi, ci = ci, di = di, data = t)
add(f, "1.3", "total", summ(peto, TRUE, peto$QE, peto$k - 1, 0, weights(peto)))
t <- tab(c("A", "B", "C", "E"))
swapped <- escalc("OR", ai = bi, bi = ai, ci = di, di = ci, data = t, add = 1/2, to = "only0")
add(f, "1.4", "total", iv_fit(swapped, TRUE, TRUE, level = 99))
add(f, "1.5", "total", mh_fit(c("A", "C", "D", "F"), "OR", FALSE))
add(f, "1.6", "Early", mh_fit(c("A", "B"), "OR", TRUE)); add(f, "1.6", "Late", mh_fit(c("C", "E"), "OR", TRUE))
t <- tab(c("B", "C", "E"))
add(f, "1.7", "total", iv_fit(escalc("RR", ai = ai, bi = bi, ci = ci, di = di, data = t, add = 1/2, to = "only0"), TRUE, FALSE))

# continuous.rm5 (MD outcomes)
md <- function(s) { x <- C[match(s, C$study), ]; escalc("MD", m1i = m1, sd1i = sd1, n1i = n1, m2i = m2, sd2i = sd2, n2i = n2, data = x) }
f <- "continuous.rm5"
short <- iv_fit(md(c("A", "B", "C")), FALSE, TRUE); long <- iv_fit(md(c("D", "E")), FALSE, TRUE)
add(f, "2.1", "Short", short); add(f, "2.1", "Long", long)
add(f, "2.1", "total", c(iv_fit(md(c("A", "B", "C", "D", "E")), FALSE, TRUE), between(list(short, long))))
add(f, "2.4", "total", iv_fit(md(c("B", "E")), FALSE, FALSE))

# generic-oe.rm5
f <- "generic-oe.rm5"
add(f, "3.1", "total", iv_fit(data.frame(yi = c(-0.22, -0.41, 0.05, -0.30), vi = c(0.11, 0.19, 0.14, 0.25)^2), TRUE, TRUE))
europe <- iv_fit(data.frame(yi = c(-120, -80), vi = c(55, 61)^2), FALSE, FALSE)
america <- iv_fit(data.frame(yi = c(30, -10), vi = c(70, 48)^2), FALSE, FALSE)
add(f, "3.2", "Europe", europe); add(f, "3.2", "America", america)
add(f, "3.2", "total", c(iv_fit(data.frame(yi = c(-120, -80, 30, -10), vi = c(55, 61, 70, 48)^2), FALSE, FALSE),
                         between(list(europe, america))))
oe <- function(o, v) data.frame(yi = o / v, vi = 1 / v)
add(f, "3.3", "total", iv_fit(oe(c(-4.2, -1.1, 0.8), c(10.5, 6.2, 4.9)), TRUE, FALSE))
add(f, "3.4", "total", iv_fit(oe(c(-6.0, 2.5, -3.3), c(12.1, 8.4, 7.7)), TRUE, TRUE))

doc <- list(software = paste("R metafor", packageVersion("metafor")), cases = cases)
writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, null = "null", pretty = FALSE),
           "tests/reference/revman_handbuilt.json")
