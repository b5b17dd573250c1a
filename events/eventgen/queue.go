package eventgen

// queue is a binary min-heap of pending events by (publish time, sequence),
// so that ties come out in the order they were queued.
type queue struct{ h []pending }

func (q *queue) len() int       { return len(q.h) }
func (q *queue) head() *pending { return &q.h[0] }
func less(a, b *pending) bool   { return a.at < b.at || a.at == b.at && a.seq < b.seq }

func (q *queue) push(p pending) {
	q.h = append(q.h, p)
	i := len(q.h) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !less(&q.h[i], &q.h[parent]) {
			break
		}
		q.h[i], q.h[parent] = q.h[parent], q.h[i]
		i = parent
	}
}

func (q *queue) pop() pending {
	top := q.h[0]
	last := len(q.h) - 1
	q.h[0] = q.h[last]
	q.h[last] = pending{}
	q.h = q.h[:last]
	i := 0
	for {
		l, small := 2*i+1, i
		if l < last && less(&q.h[l], &q.h[small]) {
			small = l
		}
		if r := l + 1; r < last && less(&q.h[r], &q.h[small]) {
			small = r
		}
		if small == i {
			return top
		}
		q.h[i], q.h[small] = q.h[small], q.h[i]
		i = small
	}
}
