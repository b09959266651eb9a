# Reference values for metareview's heterogeneity module (subgroups, meta-regression,
# permutation tests, leave-one-out, influence, GOSH), computed with R metafor 3.8-1 on
# metadat 1.2-0 data sets. Run from the repository root:
#   Rscript tests/reference/heterogeneity.R
# It writes tests/reference/heterogeneity.json (the tests need no R).
suppressMessages({library(metafor); library(jsonlite)})
set.seed(20240517)
# iterative estimators (REML, ML) converged far tighter than metafor's default 1e-5
ctrl <- list(threshold = 1e-12, maxiter = 1000)
pdf(NULL)  # baujat() draws; keep it off disk

bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
bcg$study <- paste(bcg$author, bcg$year)
molloy <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
molloy$study <- paste(molloy$authors, molloy$year)
raud <- dat.raudenbush1985
raud$study <- paste(raud$author, raud$year)
normand <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i,
                  m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.normand1999)
normand$study <- as.character(normand$study)
bd <- dat.bangertdrowns2004
bd$study <- paste(bd$author, bd$year)
hine <- escalc(measure = "RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.hine1989)
hine$study <- paste(hine$study, hine$source)

datasets <- list(
  bcg = bcg[, c("study", "yi", "vi", "ablat", "year", "alloc")],
  molloy2014 = molloy[, c("study", "yi", "vi", "meanage", "quality")],
  raudenbush1985 = raud[, c("study", "yi", "vi", "weeks", "tester")],
  normand1999 = normand[, c("study", "yi", "vi", "source")],
  bangertdrowns2004 = bd[, c("study", "yi", "vi", "length", "grade", "meta")],
  hine1989 = hine[, c("study", "yi", "vi")]
)
plain <- function(d) { d <- as.data.frame(d); for (n in names(d)) d[[n]] <- as.vector(d[[n]]); d }

# ---- meta-regression -------------------------------------------------------------------
coef_table <- function(fit) {
  data.frame(name = rownames(fit$beta), estimate = as.vector(fit$beta), se = fit$se,
             statistic = fit$zval, pvalue = fit$pval, ci_lower = fit$ci.lb, ci_upper = fit$ci.ub)
}
mr_cases <- list(
  list(dataset = "bcg", mods = c("ablat", "year"), categorical = character(0)),
  list(dataset = "bcg", mods = c("alloc"), categorical = c("alloc")),
  list(dataset = "bcg", mods = c("ablat", "alloc"), categorical = c("alloc")),
  list(dataset = "molloy2014", mods = c("meanage", "quality"), categorical = character(0)),
  list(dataset = "raudenbush1985", mods = c("weeks"), categorical = character(0)),
  list(dataset = "bangertdrowns2004", mods = c("length", "grade"), categorical = c("grade"))
  ,list(dataset = "raudenbush1985", mods = c("weeks", "tester"), categorical = c("tester"))
)
metareg <- list()
for (case in mr_cases) {
  d <- datasets[[case$dataset]]
  for (cc in case$categorical) d[[cc]] <- factor(d[[cc]])
  f <- as.formula(paste("~", paste(case$mods, collapse = " + ")))
  for (method in c("REML", "DL", "FE", "ML")) {
    for (test in c("z", "knha")) {
      if (method == "FE" && test == "knha") next
      fit <- suppressWarnings(rma(yi, vi, mods = f, data = d, method = method, test = test, control = ctrl))
      metareg[[length(metareg) + 1]] <- list(
        dataset = case$dataset, mods = case$mods, categorical = case$categorical,
        method = method, test = test, k = fit$k,
        coefficients = coef_table(fit), qm = fit$QM, qm_df = fit$QMdf[1],
        qm_df2 = if (test == "knha") fit$QMdf[2] else NULL, qm_pvalue = fit$QMp,
        qe = fit$QE, qe_pvalue = fit$QEp, tau2 = fit$tau2, i2 = fit$I2, h2 = fit$H2,
        r2 = if (is.null(fit$R2)) NULL else fit$R2)
    }
  }
}

# ---- permutation tests (Monte-Carlo; compared within sampling error) -------------------
perm <- list()
for (case in mr_cases[c(1, 4, 5)]) {
  d <- datasets[[case$dataset]]
  f <- as.formula(paste("~", paste(case$mods, collapse = " + ")))
  for (test in c("z", "knha")) {
    fit <- rma(yi, vi, mods = f, data = d, method = "REML", test = test, control = ctrl)
    pt <- permutest(fit, iter = 2000, progbar = FALSE)
    perm[[length(perm) + 1]] <- list(dataset = case$dataset, mods = case$mods, method = "REML",
      test = test, iter = 2000, qm_pvalue = pt$QMp, pvalues = as.vector(pt$pval))
  }
}
# exact permutation test on a small data set (all k! orders are enumerated)
small <- datasets$raudenbush1985[1:7, ]
fit <- rma(yi, vi, mods = ~ weeks, data = small, method = "DL")
pt <- permutest(fit, exact = TRUE, progbar = FALSE)
perm_exact <- list(dataset = "raudenbush1985", rows = 1:7, mods = "weeks", method = "DL",
                   test = "z", qm_pvalue = pt$QMp, pvalues = as.vector(pt$pval))

# ---- leave-one-out and influence -------------------------------------------------------
loo <- list(); infl <- list()
for (name in c("bcg", "molloy2014", "raudenbush1985", "normand1999", "hine1989")) {
  d <- datasets[[name]]
  for (method in c("REML", "DL", "FE")) {
    for (test in c("z", "knha")) {
      if (method == "FE" && test == "knha") next
      fit <- rma(yi, vi, data = d, method = method, test = test, control = ctrl)
      l <- leave1out(fit)
      loo[[length(loo) + 1]] <- list(dataset = name, method = method, test = test,
        estimate = l$estimate, se = l$se, statistic = l$zval, pvalue = l$pval,
        ci_lower = l$ci.lb, ci_upper = l$ci.ub, q = l$Q, q_pvalue = l$Qp,
        tau2 = l$tau2, i2 = l$I2, h2 = l$H2)
      if (test == "z") {
        inf <- influence(fit)
        b <- baujat(fit)
        infl[[length(infl) + 1]] <- list(dataset = name, method = method, mods = character(0),
          rstudent = inf$inf$rstudent, dffits = inf$inf$dffits, cooks_d = inf$inf$cook.d,
          cov_ratio = inf$inf$cov.r, tau2_del = inf$inf$tau2.del, q_del = inf$inf$QE.del,
          hat = inf$inf$hat, weight = inf$inf$weight, dfbetas = as.matrix(inf$dfbs),
          influential = inf$is.infl, baujat_x = b$x, baujat_y = b$y)
      }
    }
  }
}
for (case in mr_cases[c(1, 4)]) {
  d <- datasets[[case$dataset]]
  f <- as.formula(paste("~", paste(case$mods, collapse = " + ")))
  for (method in c("REML", "FE")) {
    fit <- rma(yi, vi, mods = f, data = d, method = method, control = ctrl)
    inf <- influence(fit)
    infl[[length(infl) + 1]] <- list(dataset = case$dataset, method = method, mods = case$mods,
      rstudent = inf$inf$rstudent, dffits = inf$inf$dffits, cooks_d = inf$inf$cook.d,
      cov_ratio = inf$inf$cov.r, tau2_del = inf$inf$tau2.del, q_del = inf$inf$QE.del,
      hat = inf$inf$hat, weight = inf$inf$weight, dfbetas = as.matrix(inf$dfbs),
      influential = inf$is.infl)
  }
}

# ---- subgroups -------------------------------------------------------------------------
sub_cases <- list(list(dataset = "bcg", by = "alloc"), list(dataset = "raudenbush1985", by = "tester"),
                  list(dataset = "bangertdrowns2004", by = "grade"),
                  list(dataset = "molloy2014", by = "quality"))
subgroups <- list()
for (case in sub_cases) {
  d <- datasets[[case$dataset]]
  d <- d[!is.na(d[[case$by]]), ]
  levels <- sort(unique(as.character(d[[case$by]])))
  for (method in c("REML", "DL", "FE")) {
    for (test in c("z", "knha")) {
      if (method == "FE" && test == "knha") next
      groups <- list(); est <- c(); ses <- c()
      for (lev in levels) {
        sub <- d[as.character(d[[case$by]]) == lev, ]
        if (nrow(sub) < 2) { groups[[length(groups) + 1]] <- list(level = lev, k = nrow(sub)); next }
        fit <- rma(yi, vi, data = sub, method = method, test = test, control = ctrl)
        groups[[length(groups) + 1]] <- list(level = lev, k = fit$k, estimate = fit$beta[1],
          se = fit$se, ci_lower = fit$ci.lb, ci_upper = fit$ci.ub, pvalue = fit$pval,
          tau2 = fit$tau2, i2 = fit$I2, q = fit$QE)
        est <- c(est, fit$beta[1]); ses <- c(ses, fit$se)
      }
      between <- rma(est, sei = ses, method = "FE")
      d$grp <- factor(as.character(d[[case$by]]))
      common <- rma(yi, vi, mods = ~ grp, data = d, method = method, test = test, control = ctrl)
      subgroups[[length(subgroups) + 1]] <- list(dataset = case$dataset, by = case$by,
        method = method, test = test, groups = groups, q_between = between$QE,
        df_between = between$k - 1, p_between = between$QEp, i2_between = between$I2,
        common_qm = common$QM, common_qm_df = common$QMdf[1], common_qm_pvalue = common$QMp,
        common_tau2 = common$tau2)
    }
  }
}

# ---- GOSH: all subsets ------------------------------------------------------------------
gosh_out <- list()
for (name in c("hine1989", "normand1999", "bcg")) {
  d <- datasets[[name]]
  for (method in c("FE", "DL", "REML")) {
    fit <- rma(yi, vi, data = d, method = method, control = ctrl)
    g <- gosh(fit, progbar = FALSE)
    masks <- as.vector(g$incl %*% (2^(seq_len(ncol(g$incl)) - 1)))
    gosh_out[[length(gosh_out) + 1]] <- list(dataset = name, method = method, mask = masks,
      k = g$res$k, q = g$res$QE, i2 = g$res$I2, h2 = g$res$H2, tau2 = g$res$tau2,
      estimate = g$res$estimate)
  }
}

out <- list(
  software = paste("R", getRversion(), "metafor", packageVersion("metafor"),
                   "metadat", packageVersion("metadat")),
  datasets = lapply(datasets, plain), metareg = metareg, permutest = perm,
  permutest_exact = perm_exact, leave1out = loo, influence = infl, subgroups = subgroups,
  gosh = gosh_out)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", null = "null",
                  dataframe = "columns"), "tests/reference/heterogeneity.json")
