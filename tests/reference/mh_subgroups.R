# Reference values for RevMan 5 subgroup analyses of dichotomous outcomes
# (tests/test_mh_random.py). Run from the repository root:  Rscript tests/reference/mh_subgroups.R
# Needs R metafor 3.8-1 with metadat and jsonlite; writes tests/reference/mh_subgroups.json.
#
# RevMan 5 pools each subgroup with the outcome's method and tests subgroup differences with
# Q between the subgroup estimates (Deeks & Higgins 2010, "Statistical algorithms in Review
# Manager 5"; Cochrane Handbook 5.1 section 9.6.3.1). Per subgroup, composed from metafor as in
# tests/reference/mh_random.R: "M-H, Fixed" is rma.mh with 0.5 added to every cell of a table
# with a zero cell (double-zero tables left out of OR and RR); "M-H, Random" is
# rma(yi, vi, tau2 = DL tau^2 from rma.mh's QE). The test is rma(estimates, sei = SEs,
# method = "FE")'s QE on (subgroups - 1) df, once for each model.
suppressMessages({library(metafor); library(jsonlite)})

tables <- list(
  bcg = with(dat.bcg, data.frame(ai = tpos, bi = tneg, ci = cpos, di = cneg, group = alloc)),
  # a constructed set with single-zero and double-zero tables in the first subgroup
  sparse = data.frame(ai = c(0, 2, 0, 5, 1, 0), bi = c(25, 48, 30, 95, 39, 20),
                      ci = c(3, 0, 0, 9, 4, 2), di = c(22, 50, 31, 91, 36, 18),
                      group = c("x", "x", "x", "y", "y", "y"))
)

revman_mh <- function(t, measure) {
  drop <- measure != "RD"
  double <- (t$ai == 0 & t$ci == 0) | (t$bi == 0 & t$di == 0)
  used <- if (drop) t[!double, ] else t
  mh <- rma.mh(ai = ai, bi = bi, ci = ci, di = di, data = used, measure = measure,
               add = c(1/2, 1/2), to = c("only0", "only0"), drop00 = c(drop, drop))
  es <- escalc(measure = measure, ai = ai, bi = bi, ci = ci, di = di, data = used,
               add = 1/2, to = "only0", drop00 = drop)
  w <- 1 / es$vi
  df <- length(es$yi) - 1
  tau2 <- if (df >= 1) max(0, (mh$QE - df) / (sum(w) - sum(w^2) / sum(w))) else 0
  re <- rma(yi, vi, data = es, tau2 = tau2)
  list(k = length(es$yi),
       fixed = list(estimate = mh$beta[1], se = mh$se, ci_lower = mh$ci.lb, ci_upper = mh$ci.ub),
       random = list(estimate = re$beta[1], se = re$se, ci_lower = re$ci.lb, ci_upper = re$ci.ub),
       q = mh$QE, i2 = mh$I2, tau2 = tau2)
}

between <- function(fits, model) {
  est <- sapply(fits, function(f) f[[model]]$estimate)
  se <- sapply(fits, function(f) f[[model]]$se)
  fe <- rma(est, sei = se, method = "FE")
  list(q = fe$QE, df = length(est) - 1, pvalue = fe$QEp)
}

cases <- list()
for (name in names(tables)) {
  t <- tables[[name]]
  for (measure in c("OR", "RR", "RD")) {
    levels <- sort(unique(as.character(t$group)))
    fits <- lapply(levels, function(g) revman_mh(t[t$group == g, ], measure))
    names(fits) <- levels
    cases[[length(cases) + 1]] <- list(
      dataset = name, measure = measure,
      ai = t$ai, bi = t$bi, ci = t$ci, di = t$di, group = as.character(t$group),
      levels = fits,
      test_fixed = between(fits, "fixed"), test_random = between(fits, "random")
    )
  }
}

doc <- list(
  software = paste("R metafor", packageVersion("metafor"), "/ metadat", packageVersion("metadat")),
  cases = cases
)
writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, null = "null", pretty = FALSE),
           "tests/reference/mh_subgroups.json")
