# metadat's data sets in the forms the reference scripts share; sourced by pooling.R,
# mh_random.R, effects_metafor.R and effects_conventions.R.

# The 2x2 tables of the binary data sets (columns ai bi ci di, incomplete rows left out).
metadat_2x2_tables <- function() {
  tables <- list(
    bcg = with(dat.bcg, data.frame(ai = tpos, bi = tneg, ci = cpos, di = cneg)),
    egger2001 = with(dat.egger2001, data.frame(ai = ai, bi = n1i - ai, ci = ci, di = n2i - ci)),
    hine1989 = with(dat.hine1989, data.frame(ai = ai, bi = n1i - ai, ci = ci, di = n2i - ci)),
    li2007 = with(dat.li2007, data.frame(ai = ai, bi = n1i - ai, ci = ci, di = n2i - ci)),
    yusuf1985 = with(subset(dat.yusuf1985, table == "6"),
                     data.frame(ai = ai, bi = n1i - ai, ci = ci, di = n2i - ci))
  )
  lapply(tables, function(t) t[complete.cases(t), ])
}

# The data sets of two arms' means (metadat columns m1i sd1i n1i m2i sd2i n2i).
metadat_means_sets <- function() {
  list(
    normand1999 = dat.normand1999,
    gibson2002 = dat.gibson2002[!is.na(dat.gibson2002$m1i), ],
    curtis1998 = dat.curtis1998
  )
}

# One of those as metareview's extraction table (studies named "<name> <row>").
means_extraction <- function(name, x) {
  data.frame(study = paste(name, seq_len(nrow(x))),
             mean_arm1 = x$m1i, sd_arm1 = x$sd1i, n_arm1 = x$n1i,
             mean_arm2 = x$m2i, sd_arm2 = x$sd2i, n_arm2 = x$n2i)
}
