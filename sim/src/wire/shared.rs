//! A frame's large `Rc` parts, across the engine wire once per run.
//!
//! Fields that say `#[serde(with = "crate::wire::shared")]` (an `Rc<[T]>` the model shares from
//! frame to frame, such as the moves of the last resize) serialise as a plain array, except while
//! a [`Sent`] memo is active: the engine's [`crate::remote::Host`] activates its run's memo when
//! it writes that run's frame, and the part is then written as `{"new": [id, [...]]}` the first
//! time and `{"ref": id}` after. The app's `RemoteRun` activates its own [`Received`] memo while
//! it reads the frame, and gets back the very `Rc` it kept, so the part is neither sent nor
//! parsed again, and the views' pointer comparisons stay cheap.
//!
//! A part equal to one sent before (the run computed it again after a seek back) also crosses as
//! a reference to the app's copy.
//!
//! Both memos keep the last [`KEPT`] parts, least recently used first out, and change only as a
//! part is written or read: the host writes a run's frames in the order the app reads them, so
//! the two memos stay the same. A reference the app cannot resolve is a bug (they would have
//! diverged); reading it fails with that message instead of drawing something else.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

/// How many parts each run's memos keep (a frame has at most a few).
pub const KEPT: usize = 8;

/// The engine's memo of one run: the parts it has sent (kept alive, so that an address names
/// one part), least recently used first.
#[derive(Default)]
pub struct Sent {
    parts: Vec<(Rc<dyn Any>, u32)>,
    next: u32,
}

/// The app's memo of one run: the parts it has read, least recently used first.
#[derive(Default)]
pub struct Received {
    parts: Vec<(u32, Rc<dyn Any>)>,
}

thread_local! {
    static SENDING: RefCell<Option<Sent>> = const { RefCell::new(None) };
    static RECEIVING: RefCell<Option<Received>> = const { RefCell::new(None) };
}

/// Runs `f` (which writes a frame) with `memo` active.
pub fn sending<R>(memo: &mut Sent, f: impl FnOnce() -> R) -> R {
    SENDING.with(|s| *s.borrow_mut() = Some(std::mem::take(memo)));
    let out = f();
    *memo = SENDING.with(|s| s.borrow_mut().take()).unwrap_or_default();
    out
}

/// Runs `f` (which reads a frame) with `memo` active.
pub fn receiving<R>(memo: &mut Received, f: impl FnOnce() -> R) -> R {
    RECEIVING.with(|r| *r.borrow_mut() = Some(std::mem::take(memo)));
    let out = f();
    *memo = RECEIVING
        .with(|r| r.borrow_mut().take())
        .unwrap_or_default();
    out
}

#[derive(Serialize)]
enum Out<'a, T: Serialize> {
    #[serde(rename = "new")]
    New(u32, &'a [T]),
    #[serde(rename = "ref")]
    Ref(u32),
}

#[derive(Deserialize)]
enum In<T> {
    #[serde(rename = "new")]
    New(u32, Vec<T>),
    #[serde(rename = "ref")]
    Ref(u32),
}

/// Moves entry `i` to the most recent end.
fn touch<E>(parts: &mut Vec<E>, i: usize) {
    let entry = parts.remove(i);
    parts.push(entry);
}

/// Adds an entry at the most recent end, dropping the least recent past [`KEPT`].
fn add<E>(parts: &mut Vec<E>, entry: E) {
    parts.push(entry);
    if parts.len() > KEPT {
        parts.remove(0);
    }
}

/// Writes `part`: a plain array, or through the active [`Sent`] memo.
pub fn serialize<T, S>(part: &Rc<[T]>, s: S) -> Result<S::Ok, S::Error>
where
    T: Serialize + PartialEq + 'static,
    S: Serializer,
{
    // Some(Ok(id)): new under `id`; Some(Err(id)): sent before as `id`; None: no memo.
    let memo_says = SENDING.with(|memo| {
        let mut memo = memo.borrow_mut();
        let memo = memo.as_mut()?;
        let find = |same: &dyn Fn(&Rc<[T]>) -> bool| {
            memo.parts
                .iter()
                .position(|(p, _)| p.downcast_ref::<Rc<[T]>>().is_some_and(same))
        };
        // The same `Rc` (frame after frame), or an equal part the run computed again (a seek
        // back replays the run): the app has it either way. The memo then holds the newer `Rc`,
        // which the frames that follow share.
        let at = find(&|p| Rc::ptr_eq(p, part)).or_else(|| find(&|p| p == part));
        Some(match at {
            Some(i) => {
                let id = memo.parts[i].1;
                memo.parts[i].0 = Rc::new(part.clone());
                touch(&mut memo.parts, i);
                Err(id)
            }
            None => {
                let id = memo.next;
                memo.next = memo.next.wrapping_add(1);
                add(&mut memo.parts, (Rc::new(part.clone()) as Rc<dyn Any>, id));
                Ok(id)
            }
        })
    });
    match memo_says {
        None => part.as_ref().serialize(s),
        Some(Ok(id)) => Out::New(id, part.as_ref()).serialize(s),
        Some(Err(id)) => Out::<T>::Ref(id).serialize(s),
    }
}

/// Reads a part written by [`serialize`], through the active [`Received`] memo if there is one.
pub fn deserialize<'de, T, D>(d: D) -> Result<Rc<[T]>, D::Error>
where
    T: Deserialize<'de> + 'static,
    D: Deserializer<'de>,
{
    if RECEIVING.with(|r| r.borrow().is_none()) {
        return Ok(Vec::<T>::deserialize(d)?.into());
    }
    let part = In::<T>::deserialize(d)?;
    RECEIVING.with(|memo| {
        let mut memo = memo.borrow_mut();
        let Some(memo) = memo.as_mut() else {
            return Err(D::Error::custom("the memo went away while a frame was read"));
        };
        match part {
            In::New(id, items) => {
                let part: Rc<[T]> = items.into();
                add(&mut memo.parts, (id, Rc::new(part.clone()) as Rc<dyn Any>));
                Ok(part)
            }
            In::Ref(id) => {
                let at = memo.parts.iter().position(|(i, _)| *i == id);
                let part = at.and_then(|i| memo.parts[i].1.downcast_ref::<Rc<[T]>>().cloned());
                match (at, part) {
                    (Some(i), Some(part)) => {
                        touch(&mut memo.parts, i);
                        Ok(part)
                    }
                    _ => Err(D::Error::custom(format!(
                        "the engine refers to part {id} of this run, which the app does not have (their memos diverged)"
                    ))),
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Holder {
        #[serde(with = "super")]
        part: Rc<[u32]>,
    }

    #[test]
    fn parts_cross_once_then_by_reference_and_both_memos_forget_alike() {
        let parts: Vec<Rc<[u32]>> = (0..20u32).map(|i| vec![i; 3].into()).collect();
        let (mut sent, mut received) = (Sent::default(), Received::default());
        // Sent in an order that touches old parts, overflows the memo and comes back to ones
        // it forgot: the app's copy is the same `Rc` exactly while the part is remembered.
        let order = [0, 1, 0, 2, 3, 4, 5, 6, 7, 8, 9, 0, 10, 1, 11, 0, 19, 18, 1];
        let mut kept: Vec<Option<Rc<[u32]>>> = vec![None; 20];
        for &i in &order {
            let json = sending(&mut sent, || {
                serde_json::to_string(&Holder {
                    part: parts[i].clone(),
                })
                .unwrap()
            });
            let read: Holder =
                receiving(&mut received, || serde_json::from_str(&json)).expect("reads");
            assert_eq!(read.part, parts[i], "part {i}");
            let by_reference = json.contains("\"ref\"");
            if let Some(before) = &kept[i] {
                assert_eq!(
                    by_reference,
                    Rc::ptr_eq(before, &read.part),
                    "part {i}: {json}"
                );
            } else {
                assert!(
                    !by_reference,
                    "part {i} crosses whole the first time: {json}"
                );
            }
            kept[i] = Some(read.part);
        }
        // 1 was sent at step 2 and again at 14 and 19; 0 by reference at 3, 12 and 16.
        assert_eq!(received.parts.len(), KEPT);
    }

    #[test]
    fn without_a_memo_a_part_is_a_plain_array() {
        let json = serde_json::to_string(&Holder {
            part: vec![1, 2].into(),
        })
        .unwrap();
        assert_eq!(json, r#"{"part":[1,2]}"#);
        let read: Holder = serde_json::from_str(&json).unwrap();
        assert_eq!(&*read.part, &[1, 2]);
    }

    #[test]
    fn a_reference_the_app_does_not_have_is_an_error() {
        let mut received = Received::default();
        let read = receiving(&mut received, || {
            serde_json::from_str::<Holder>(r#"{"part":{"ref":7}}"#)
        });
        assert!(read.unwrap_err().to_string().contains("diverged"));
    }
}
