# The 2x2 tables of metadat's binary data sets (columns ai bi ci di, incomplete rows left out);
# sourced by pooling.R and mh_random.R (run those from the repository root).
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
