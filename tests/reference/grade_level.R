# Reference values for `metareview grade DATA --level 0.9` (tests/test_grade.py).
#
# Run from the repository root (R with metafor 3.8-1 and jsonlite):
#   Rscript tests/reference/grade_level.R ../shared/data/dmetar/DepressionMortality.csv \
#     > tests/reference/grade_level.json
#
# dmetar DepressionMortality (18 cohorts): log risk ratios pooled by REML with z tests (the
# metafor preset), 90% confidence interval. The test reads the data from the shared folder.
suppressMessages({
  library(metafor)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
csv <- if (length(args) >= 1) args[1] else "../shared/data/dmetar/DepressionMortality.csv"
d <- read.csv(csv)
es <- escalc(measure = "RR", ai = event.e, n1i = n.e, ci = event.c, n2i = n.c, data = d)
# iterate REML to convergence so the fixture holds the estimate itself
res <- rma(yi, vi, data = es, method = "REML", level = 90,
           control = list(threshold = 1e-12, maxiter = 1000))
num <- function(x) unname(as.numeric(x))
cat(toJSON(list(
  depression_mortality_rr_reml_level90 = list(
    level = 0.9, k = res$k, estimate = num(res$beta), ci_lower = num(res$ci.lb),
    ci_upper = num(res$ci.ub)
  )
), digits = NA, auto_unbox = TRUE, pretty = TRUE), "\n")
