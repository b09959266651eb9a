# GOSH reference timing: metafor gosh() with 10^6 random DL subsets at k = 30.
# Usage: Rscript benchmarks/gosh_benchmark.R OUT.bin
# Writes, for every subset metafor drew, its membership bitmask (study j = bit j-1) and the
# estimate, tau2, I2, H2 and Q it computed, as doubles (subsets x 6, column-major); prints
# the seconds gosh() took.
suppressMessages(library(metafor))
out <- commandArgs(trailingOnly = TRUE)[1]
dat <- dat.hackshaw1998[1:30, ]
fit <- rma(yi, vi, data = dat, method = "DL")
set.seed(1)
seconds <- system.time(g <- gosh(fit, subsets = 10^6, progbar = FALSE))[["elapsed"]]
masks <- as.vector(g$incl %*% (2^(0:29)))
con <- file(out, "wb")
writeBin(c(masks, g$res$estimate, g$res$tau2, g$res$I2, g$res$H2, g$res$QE), con)
close(con)
cat(sprintf("%.3f\n", seconds))
