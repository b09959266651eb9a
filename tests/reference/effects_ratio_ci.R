# Reference values for precomputed ratios reported with a CI on the ratio scale (data group
# `ratio_ci`: ratio, ratio_ci_lower, ratio_ci_upper, ratio_measure, optional ci_level).
# Run from the repository root:  Rscript tests/reference/effects_ratio_ci.R
# Needs R metafor 3.8-1 with metadat and jsonlite; writes tests/reference/effects_ratio_ci.json.
#
# metafor 3.8-1 has no conv.wald() (it arrived in metafor 4.0), so the back-calculation its
# documentation describes is written out here:
#   yi = ln(ratio),  vi = ((ln upper - ln lower) / (2 qnorm(1 - (1 - level)/2)))^2
# (Cochrane Handbook 6.3.2). The mixed tables are then pooled with metafor's rma().
#
# Case "bcg_mixed" follows the example of metafor's conv.wald documentation: escalc(OR) on
# dat.bcg, odds ratios and 95% CIs rounded to two decimals as a trial report prints them, and
# four trials (rows 1, 4, 9, 12) given only as "OR (lower to upper)"; the others keep counts.
suppressMessages({library(metafor); library(jsonlite)})
tight <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)
out_file <- file.path(dirname(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))),
                      "effects_ratio_ci.json")

from_ratio_ci <- function(ratio, lower, upper, level = 0.95) {
  z <- qnorm(1 - (1 - level) / 2)
  list(yi = log(ratio), vi = ((log(upper) - log(lower)) / (2 * z))^2)
}
pooled <- function(yi, vi, method) {
  res <- rma(yi, vi, method = method, control = tight)
  list(method = method, estimate = res$beta[1], se = res$se, ci_lower = res$ci.lb,
       ci_upper = res$ci.ub, tau2 = res$tau2, i2 = res$I2, q = res$QE)
}

cases <- list()

# 1. Mixed table: counts in most rows, a reported OR with its 95% CI in four.
bcg <- escalc(measure = "OR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
shown <- summary(bcg, transf = exp)
reported <- c(1, 4, 9, 12)
ratio <- round(shown$yi, 2); lower <- round(shown$ci.lb, 2); upper <- round(shown$ci.ub, 2)
conv <- from_ratio_ci(ratio, lower, upper)
yi <- ifelse(seq_len(nrow(bcg)) %in% reported, conv$yi, bcg$yi)
vi <- ifelse(seq_len(nrow(bcg)) %in% reported, conv$vi, bcg$vi)
counts <- !(seq_len(nrow(bcg)) %in% reported)
data <- data.frame(
  study = paste(dat.bcg$author, dat.bcg$year),
  event_arm1 = ifelse(counts, dat.bcg$tpos, NA), totaln_arm1 = ifelse(counts, dat.bcg$tpos + dat.bcg$tneg, NA),
  event_arm2 = ifelse(counts, dat.bcg$cpos, NA), totaln_arm2 = ifelse(counts, dat.bcg$cpos + dat.bcg$cneg, NA),
  ratio = ifelse(counts, NA, ratio), ratio_ci_lower = ifelse(counts, NA, lower),
  ratio_ci_upper = ifelse(counts, NA, upper), ratio_measure = ifelse(counts, NA, "OR")
)
cases[[length(cases) + 1]] <- list(
  name = "bcg_mixed", measure = "OR", data = data, yi = yi, vi = vi,
  pooled = lapply(c("REML", "DL"), function(m) pooled(yi, vi, m))
)

# 2. The worked example of the conv.wald documentation: OR 0.64 (0.33 to 1.22) beside counts.
data <- data.frame(study = c("Study 1", "Study 2", "Study 3"),
                   event_arm1 = c(23, NA, 4), totaln_arm1 = c(194, NA, 46),
                   event_arm2 = c(38, NA, 7), totaln_arm2 = c(201, NA, 44),
                   ratio = c(NA, 0.64, NA), ratio_ci_lower = c(NA, 0.33, NA),
                   ratio_ci_upper = c(NA, 1.22, NA), ratio_measure = c(NA, "OR", NA))
es <- escalc(measure = "OR", ai = event_arm1, n1i = totaln_arm1, ci = event_arm2,
             n2i = totaln_arm2, data = data)
conv <- from_ratio_ci(0.64, 0.33, 1.22)
es$yi[2] <- conv$yi; es$vi[2] <- conv$vi
cases[[length(cases) + 1]] <- list(name = "conv_wald_example", measure = "OR", data = data,
                                   yi = as.numeric(es$yi), vi = as.numeric(es$vi),
                                   pooled = list(pooled(es$yi, es$vi, "REML")))

# 3. Risk ratios and hazard ratios as trial reports print them, with 95% and 90% CIs.
for (measure in c("RR", "HR")) {
  ratio <- c(0.80, 0.62, 1.10, 0.71, 0.93)
  lower <- c(0.65, 0.41, 0.85, 0.52, 0.71)
  upper <- c(0.98, 0.93, 1.42, 0.97, 1.22)
  level <- c(0.95, 0.95, 0.90, 0.99, 0.95)
  conv <- from_ratio_ci(ratio, lower, upper, level)
  data <- data.frame(study = paste("Trial", 1:5), ratio = ratio, ratio_ci_lower = lower,
                     ratio_ci_upper = upper, ratio_measure = measure, ci_level = level)
  cases[[length(cases) + 1]] <- list(name = paste0("reported_", measure), measure = measure,
                                     data = data, yi = conv$yi, vi = conv$vi,
                                     pooled = list(pooled(conv$yi, conv$vi, "REML")))
}

writeLines(toJSON(list(metafor = as.character(packageVersion("metafor")), cases = cases),
                  digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE), out_file)
