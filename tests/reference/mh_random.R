# Reference values for RevMan 5's "M-H, Fixed" and "M-H, Random" models (tests/test_mh_random.py).
# Run from the repository root:  Rscript tests/reference/mh_random.R
# Needs R metafor 3.8-1 with metadat and jsonlite; writes tests/reference/mh_random.json.
#
# RevMan 5 (Deeks & Higgins 2010, "Statistical algorithms in Review Manager 5"; R meta's
# metabin with Q.Cochrane = TRUE and MH.exact = FALSE) composed from metafor functions as
# tests/reference/revman_mh.R describes.
suppressMessages({library(metafor); library(jsonlite)})
source("tests/reference/revman_mh.R")
source("tests/reference/metadat_sets.R")

tables <- c(
  metadat_2x2_tables(),
  # a small constructed set with single-zero and double-zero tables
  list(sparse = data.frame(ai = c(0, 2, 0, 5, 1, 0), bi = c(25, 48, 30, 95, 39, 20),
                           ci = c(3, 0, 0, 9, 4, 2), di = c(22, 50, 31, 91, 36, 18)))
)

cases <- list()
for (name in names(tables)) {
  t <- tables[[name]]
  for (measure in c("OR", "RR", "RD")) {
    fit <- revman_mh(t, measure)
    used <- fit$used; mh <- fit$mh; es <- fit$es; re <- fit$re; df <- fit$df; q <- mh$QE
    cases[[length(cases) + 1]] <- list(
      dataset = name, measure = measure, k = length(es$yi),
      ai = used$ai, bi = used$bi, ci = used$ci, di = used$di,
      yi = as.numeric(es$yi), vi = as.numeric(es$vi),
      fixed = list(estimate = mh$beta[1], se = mh$se, ci_lower = mh$ci.lb, ci_upper = mh$ci.ub,
                   statistic = mh$zval, pvalue = mh$pval),
      q = mh$QE, q_df = df, q_pvalue = mh$QEp, i2 = max(0, 100 * (q - df) / q), tau2 = fit$tau2,
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
