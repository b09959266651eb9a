# metafor on the seeded simulation of tests/reference/pooling_simulation.py (2,000 data sets,
# k = 20, vi ~ U(0.02, 0.2), tau^2 = 0.05). Run from the repository root:
#   python tests/reference/pooling_simulation.py /tmp/pooling_sim.csv
#   Rscript tests/reference/pooling_simulation.R /tmp/pooling_sim.csv
# Writes tests/reference/pooling_simulation.json: whether rma(method = "REML") converges with
# its default settings and, where it does, the estimates refitted with the convergence
# threshold tightened to 1e-12 (so the stored values are the exact REML solution).
suppressMessages({library(metafor); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
sim <- read.csv(args[1])
ids <- sort(unique(sim$dataset))
out <- lapply(ids, function(i) {
  d <- sim[sim$dataset == i, ]
  fit <- tryCatch(rma(yi, vi, data = d, method = "REML"), error = function(e) NULL)
  if (is.null(fit)) return(list(converged = FALSE, tau2 = NA, estimate = NA, se = NA))
  tight <- rma(yi, vi, data = d, method = "REML",
               control = list(threshold = 1e-12, maxiter = 10000))
  list(converged = TRUE, tau2 = tight$tau2, estimate = tight$beta[1], se = tight$se)
})
doc <- list(
  software = paste("R metafor", packageVersion("metafor")),
  first_yi = sim$yi[1:5],
  converged = sapply(out, `[[`, "converged"),
  tau2 = sapply(out, `[[`, "tau2"),
  estimate = sapply(out, `[[`, "estimate"),
  se = sapply(out, `[[`, "se")
)
writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, na = "null"),
           "tests/reference/pooling_simulation.json")
