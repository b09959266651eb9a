# Reference values for metareview's small-study-effect methods (tests/test_bias_*.py).
#
# Run from the repository root (R with metafor 3.8-1, metadat and jsonlite):
#   Rscript tests/reference/bias.R ../shared/data/dmetar/ThirdWave.csv > tests/reference/bias.json
#
# For the metadat data sets the inputs (yi, vi, ni) are stored in the JSON so the tests need no
# R; ThirdWave is read by the tests from the shared data folder (TE, seTE).
suppressMessages({
  library(metafor)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
thirdwave_csv <- if (length(args) >= 1) args[1] else "../shared/data/dmetar/ThirdWave.csv"

egger <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.egger2001)
raud <- dat.raudenbush1985
tw <- read.csv(thirdwave_csv)
datasets <- list(
  egger2001 = list(yi = as.numeric(egger$yi), vi = as.numeric(egger$vi),
                   ni = as.numeric(egger$n1i + egger$n2i)),
  hackshaw1998 = list(yi = dat.hackshaw1998$yi, vi = dat.hackshaw1998$vi, ni = NULL),
  raudenbush1985 = list(yi = raud$yi, vi = raud$vi, ni = as.numeric(raud$n1i + raud$n2i)),
  thirdwave = list(yi = tw$TE, vi = tw$seTE^2, ni = NULL)
)

num <- function(x) unname(as.numeric(x))
# metafor stops its REML/ML iterations when tau^2 changes by < 1e-5; iterate to convergence so
# the fixtures hold the estimates themselves (metareview converges to 1e-10).
tight <- list(threshold = 1e-12, maxiter = 1000)

fit_model <- function(d, method, test = "z") {
  rma(yi = d$yi, vi = d$vi, method = method, test = test, control = tight)
}

regtests <- function(d) {
  predictors <- c("sei", "vi")
  if (!is.null(d$ni)) predictors <- c(predictors, "ni", "ninv", "sqrtninv")
  fits <- list(
    list(model = "lm", method = "FE", test = "z"),
    list(model = "rma", method = "REML", test = "z"),
    list(model = "rma", method = "DL", test = "z"),
    list(model = "rma", method = "FE", test = "z"),
    list(model = "rma", method = "REML", test = "knha")
  )
  out <- list()
  predictor_value <- list(sei = sqrt(d$vi), vi = d$vi)
  if (!is.null(d$ni))
    predictor_value <- c(predictor_value, list(ni = d$ni, ninv = 1 / d$ni,
                                               sqrtninv = 1 / sqrt(d$ni)))
  for (f in fits) for (p in predictors) {
    args <- list(x = d$yi, vi = d$vi, model = f$model, predictor = p, method = f$method,
                 test = f$test, ret.fit = TRUE)
    if (!is.null(d$ni)) args$ni <- d$ni
    res <- do.call(regtest, args)
    if (f$model == "lm") {
      cf <- summary(res$fit)$coefficients
      coef <- num(cf[, 1]); se <- num(cf[, 2]); tau2 <- NULL
      stat <- num(res$zval); pval <- num(res$pval); df <- num(res$dfs)
      limit <- c(num(res$est), num(res$ci.lb), num(res$ci.ub))
    } else {
      # regtest() ignores 'control', so refit its model (rma with the predictor as moderator)
      # with tight convergence; the statistic is the predictor's Wald test.
      fit <- rma(yi = d$yi, vi = d$vi, mods = predictor_value[[p]], method = f$method,
                 test = f$test, control = tight)
      stopifnot(abs(fit$zval[2] - res$zval) < 1e-3)
      coef <- num(fit$beta); se <- num(fit$se); tau2 <- fit$tau2
      stat <- num(fit$zval[2]); pval <- num(fit$pval[2]); df <- num(res$dfs)
      limit <- c(num(fit$beta[1]), num(fit$ci.lb[1]), num(fit$ci.ub[1]))
    }
    if (p == "ni") limit <- NULL
    out[[length(out) + 1]] <- list(
      model = f$model, method = f$method, test = f$test, predictor = p,
      statistic = stat, pvalue = pval, df = df, coef = coef, se = se, tau2 = tau2,
      limit_estimate = limit[1], limit_ci_lower = limit[2], limit_ci_upper = limit[3])
  }
  out
}

ranktests <- function(d) {
  res <- suppressWarnings(ranktest(x = d$yi, vi = d$vi))
  list(tau = num(res$tau), pvalue = num(res$pval))
}

trimfill_entry <- function(tf, trim_method, estimator, side_given, fill_test) {
  filled <- tf$fill
  list(trim_method = trim_method, estimator = estimator,
       side_given = if (is.null(side_given)) "auto" else side_given, test = fill_test,
       k0 = num(tf$k0), side = tf$side, se_k0 = num(tf$se.k0), p_k0 = num(tf$p.k0),
       estimate = num(tf$beta), se = num(tf$se), ci_lower = num(tf$ci.lb),
       ci_upper = num(tf$ci.ub), pvalue = num(tf$pval), statistic = num(tf$zval),
       tau2 = num(tf$tau2),
       filled_yi = num(tf$yi[filled]), filled_vi = num(tf$vi[filled]))
}

# The augmented data of a trim-and-fill with metafor's k0 and side, the centre refitted to
# convergence: the mirror images about the pooled estimate of the k - k0 least extreme studies.
tight_fill <- function(d, tf, method) {
  k0 <- tf$k0
  if (k0 == 0) return(list(yi = d$yi, vi = d$vi, filled_yi = numeric(0)))
  sgn <- if (tf$side == "right") -1 else 1
  ord <- order(sgn * d$yi)
  y <- sgn * d$yi[ord]; v <- d$vi[ord]; k <- length(y)
  centre <- num(rma(yi = y[1:(k - k0)], vi = v[1:(k - k0)], method = method,
                    control = tight)$beta)
  extreme <- (k - k0 + 1):k
  filled <- sgn * (2 * centre - y[extreme])
  list(yi = c(d$yi, filled), vi = c(d$vi, v[extreme]), filled_yi = filled)
}

trimfills <- function(d) {
  out <- list()
  for (method in c("FE", "REML", "DL")) for (estimator in c("L0", "R0", "Q0"))
    for (side in list(NULL, "left", "right")) {
      fit <- fit_model(d, method)
      tf <- tryCatch(
        if (is.null(side)) trimfill(fit, estimator = estimator)
        else trimfill(fit, estimator = estimator, side = side),
        error = function(e) NULL)
      if (is.null(tf)) {
        # Q0 takes the square root of a negative number: metafor stops, so must we.
        out[[length(out) + 1]] <- list(
          trim_method = method, estimator = estimator,
          side_given = if (is.null(side)) "auto" else side, test = "z", error = TRUE)
        next
      }
      # trimfill() fits the trimmed and the augmented data with metafor's default convergence
      # threshold, whatever the fit's 'control' (the REML centre is then off by ~1e-6). Keep
      # its k0 and side, and its raw results under "metafor" (tests compare them at 1e-4);
      # recompute the fill from that k0 and side with tight fits (tests compare at 1e-6).
      e <- trimfill_entry(tf, method, estimator, side, "z")
      e$metafor <- e[c("estimate", "se", "ci_lower", "ci_upper", "pvalue", "filled_yi")]
      tight_tf <- tight_fill(d, tf, method)
      e$filled_yi <- tight_tf$filled_yi
      refit <- rma(yi = tight_tf$yi, vi = tight_tf$vi, method = method, control = tight)
      e$estimate <- num(refit$beta); e$se <- num(refit$se)
      e$ci_lower <- num(refit$ci.lb); e$ci_upper <- num(refit$ci.ub)
      e$pvalue <- num(refit$pval); e$statistic <- num(refit$zval); e$tau2 <- num(refit$tau2)
      stopifnot(abs(e$estimate - e$metafor$estimate) < 1e-4 * max(1, abs(e$estimate)))
      out[[length(out) + 1]] <- e
      if (method == "FE") {
        # meta's convention: trim with the common-effect model, pool the augmented data with
        # the random-effects model (REML, Wald-type and Hartung-Knapp CIs).
        for (test in c("z", "knha")) {
          refit <- rma(yi = tf$yi, vi = tf$vi, method = "REML", test = test, control = tight)
          # (trimming is common-effect here: closed form, no convergence question)
          e <- trimfill_entry(tf, method, estimator, side, test)
          e$fill_method <- "REML"
          e$estimate <- num(refit$beta); e$se <- num(refit$se)
          e$ci_lower <- num(refit$ci.lb); e$ci_upper <- num(refit$ci.ub)
          e$pvalue <- num(refit$pval); e$statistic <- num(refit$zval)
          e$tau2 <- num(refit$tau2)
          out[[length(out) + 1]] <- e
        }
      }
    }
  out
}

fsns <- function(d) {
  ros <- fsn(yi = d$yi, vi = d$vi, type = "Rosenthal")
  rbg <- fsn(yi = d$yi, vi = d$vi, type = "Rosenberg")
  orw <- fsn(yi = d$yi, vi = d$vi, type = "Orwin")
  orw_w <- fsn(yi = d$yi, vi = d$vi, type = "Orwin", weighted = TRUE)
  target <- orw$meanes / 4
  orw_t <- fsn(yi = d$yi, vi = d$vi, type = "Orwin", target = target)
  ros10 <- fsn(yi = d$yi, vi = d$vi, type = "Rosenthal", alpha = 0.10)
  one <- function(r) list(fsnum = num(r$fsnum), pvalue = num(r$pval), meanes = num(r$meanes),
                          target = num(r$target), alpha = num(r$alpha))
  list(rosenthal = one(ros), rosenthal_alpha10 = one(ros10), rosenberg = one(rbg),
       orwin = one(orw), orwin_weighted = one(orw_w), orwin_target = one(orw_t))
}

selmodels <- function(d, steps_list, alternative) {
  out <- list()
  for (method in c("ML", "FE")) for (steps in steps_list) {
    fit <- rma(yi = d$yi, vi = d$vi, method = method, control = tight)
    sel <- tryCatch(selmodel(fit, type = "stepfun", steps = steps,
                                 alternative = alternative),
                    error = function(e) {
                      message("selmodel ", method, " ", paste(steps, collapse = ","), ": ",
                              conditionMessage(e))
                      NULL
                    })
    if (is.null(sel)) next
    out[[length(out) + 1]] <- list(
      method = method, alternative = alternative, steps = num(sel$steps), estimate = num(sel$beta), se = num(sel$se),
      tau2 = num(sel$tau2), delta = num(sel$delta), se_delta = num(sel$se.delta),
      lrt = num(sel$LRT), lrt_df = num(sel$LRTdf), lrt_pvalue = num(sel$LRTp),
      loglik = num(logLik(sel)), ptable_k = num(sel$ptable$k))
  }
  out
}

# cut-points with studies in every interval (egger2001: beneficial effects are log OR < 0)
steps_for <- list(
  egger2001 = list(c(0.025, 1), c(0.025, 0.5, 1)),
  hackshaw1998 = list(c(0.025, 1), c(0.05, 0.5, 1)),
  raudenbush1985 = list(c(0.025, 1), c(0.05, 1), c(0.05, 0.5, 1)),
  thirdwave = list(c(0.025, 1), c(0.01, 0.05, 1))
)
alternative_for <- list(egger2001 = "less", hackshaw1998 = "greater",
                        raudenbush1985 = "greater", thirdwave = "greater")

result <- list(
  metafor_version = as.character(packageVersion("metafor")),
  datasets = list()
)
for (name in names(datasets)) {
  d <- datasets[[name]]
  result$datasets[[name]] <- list(
    input = if (name == "thirdwave") NULL else list(yi = d$yi, vi = d$vi, ni = d$ni),
    regtest = regtests(d), ranktest = ranktests(d), trimfill = trimfills(d),
    fsn = fsns(d),
    selmodel = c(selmodels(d, steps_for[[name]], alternative_for[[name]]),
                 selmodels(d, list(c(0.05, 1)), "two.sided")))
}
cat(toJSON(result, digits = NA, auto_unbox = TRUE, null = "null", na = "null", pretty = TRUE))
