# Reference values for RevMan 5 subgroup analyses of dichotomous outcomes
# (tests/test_mh_random.py). Run from the repository root:  Rscript tests/reference/mh_subgroups.R
# Needs R metafor 3.8-1 with metadat and jsonlite; writes tests/reference/mh_subgroups.json.
#
# RevMan 5 pools each subgroup with the outcome's method and tests subgroup differences with
# Q between the subgroup estimates (Deeks & Higgins 2010, "Statistical algorithms in Review
# Manager 5"; Cochrane Handbook 5.1 section 9.6.3.1). Each subgroup's "M-H, Fixed" and
# "M-H, Random" models are composed from metafor as tests/reference/revman_mh.R describes; the
# test is rma(estimates, sei = SEs, method = "FE")'s QE on (subgroups - 1) df, once per model.
suppressMessages({library(metafor); library(jsonlite)})
source("tests/reference/revman_mh.R")

tables <- list(
  bcg = with(dat.bcg, data.frame(ai = tpos, bi = tneg, ci = cpos, di = cneg, group = alloc)),
  # a constructed set with single-zero and double-zero tables in the first subgroup
  sparse = data.frame(ai = c(0, 2, 0, 5, 1, 0), bi = c(25, 48, 30, 95, 39, 20),
                      ci = c(3, 0, 0, 9, 4, 2), di = c(22, 50, 31, 91, 36, 18),
                      group = c("x", "x", "x", "y", "y", "y"))
)

subgroup_fit <- function(t, measure) {
  fit <- revman_mh(t, measure)
  mh <- fit$mh; re <- fit$re
  list(k = length(fit$es$yi),
       fixed = list(estimate = mh$beta[1], se = mh$se, ci_lower = mh$ci.lb, ci_upper = mh$ci.ub),
       random = list(estimate = re$beta[1], se = re$se, ci_lower = re$ci.lb, ci_upper = re$ci.ub),
       q = mh$QE, i2 = mh$I2, tau2 = fit$tau2)
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
    fits <- lapply(levels, function(g) subgroup_fit(t[t$group == g, ], measure))
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
