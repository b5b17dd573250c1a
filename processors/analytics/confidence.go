package analytics

import "math"

// Confidence is the original platform's rule:
//
//	min(1, points / full × completeness)
//
// points is the number of periods an insight rests on, completeness the
// share of them backed by observed data (in [0, 1]) and full the number of
// complete points that earn full confidence (Config.ConfidencePoints,
// default 30). With completeness k/points it equals min(1, k/full): the
// number of observed periods is what counts. Result in [0, 1]; 0 for no
// points.
func Confidence(points int, completeness float64, full int) float64 {
	if points <= 0 || full <= 0 || !(completeness > 0) {
		return 0
	}
	return math.Min(1, float64(points)/float64(full)*math.Min(1, completeness))
}
