# The R side of benchmarks/pooling_benchmark.py: metafor rma(REML, knha) + confint + predict
# looped over every meta-analysis of a CSV (columns dataset, yi, vi).
#   Rscript benchmarks/pooling_benchmark.R data.csv results.csv
# Prints the loop's elapsed and CPU (user + system) seconds, data reading excluded.
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
sim <- read.csv(args[1])
groups <- split(sim[, c("yi", "vi")], sim$dataset)
out <- matrix(NA_real_, length(groups), 5)
timing <- system.time({
  for (i in seq_along(groups)) {
    d <- groups[[i]]
    res <- tryCatch(rma(yi, vi, data = d, method = "REML", test = "knha"), error = function(e) NULL)
    if (is.null(res)) next
    ci <- confint(res)
    pr <- predict(res)
    out[i, ] <- c(res$tau2, res$beta[1], ci$random["tau^2", 3], pr$pi.lb, pr$pi.ub)
  }
})
colnames(out) <- c("tau2", "estimate", "tau2_ci_upper", "pi_lower", "pi_upper")
write.csv(data.frame(dataset = as.integer(names(groups)), out), args[2], row.names = FALSE)
cat(timing[["elapsed"]], timing[["user.self"]] + timing[["sys.self"]], "\n")
