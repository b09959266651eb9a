# Times metafor rma.mv (REML, random = ~ 1 | study/es) looped over the data sets in a CSV.
# Called by benchmarks/multilevel_benchmark.py:  Rscript multilevel_benchmark.R IN.csv OUT.csv
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
sets <- split(d, d$dataset)
start <- proc.time()
fits <- lapply(sets, function(s) rma.mv(yi, vi, random = ~ 1 | study/es, data = s))
elapsed <- proc.time() - start
out <- data.frame(dataset = as.integer(names(sets)),
                  estimate = sapply(fits, function(f) f$beta[1]),
                  sigma2_between = sapply(fits, function(f) f$sigma2[1]),
                  sigma2_within = sapply(fits, function(f) f$sigma2[2]))
write.csv(out, args[2], row.names = FALSE)
cat(sprintf("%.6f %.6f\n", elapsed[["user.self"]] + elapsed[["sys.self"]], elapsed[["elapsed"]]))
