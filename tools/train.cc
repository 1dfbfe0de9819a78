// axon train: fits a model to .npy data with a loss and an optimizer (TrainingSession), and
// writes the trained model as a plain inference model.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "axon/axon.h"
#include "formats/axon_format.h"
#include "formats/file_batch.h"
#include "formats/model_file.h"
#include "tools/args.h"
#include "tools/checkpoint_lock.h"
#include "tools/command.h"
#include "tools/model_match.h"
#include "tools/output_names.h"
#include "tools/train_data.h"

namespace axon::cli {
namespace {

constexpr const char* kUsage = R"(usage: axon train MODEL --data X.npy --labels Y.npy --loss LOSS -o OUT.axon
                  [--optimizer sgd|momentum|adam|adamw] [--lr F] [--epochs N] [--batch-size B]
                  [--momentum F] [--dampening F] [--nesterov] [--weight-decay F]
                  [--beta1 F] [--beta2 F] [--epsilon F] [--shuffle] [--seed S] [--val-split F]
                  [--checkpoint PATH [--resume] [--checkpoint-every N]] [--threads N] [--log-every N]

Trains MODEL (.axon, or ONNX: recognized by content) on the samples of X.npy (one per row, dim 0)
and the labels of Y.npy, then writes the trained model to OUT.axon: a plain inference model that
axon run runs, written atomically. Losses and optimizers are PyTorch 1.13's (torch.nn with
reduction='mean', torch.optim), so the same initial weights, data order and settings follow the
same trajectory.

The model's single output feeds the loss:
  mse         MSELoss; Y is f32 with the output's shape
  bce         BCELoss on probabilities (e.g. after a Sigmoid); Y is f32 0/1 with the output's shape
  bce-logits  BCEWithLogitsLoss on logits; Y as for bce
  ce          CrossEntropyLoss on logits [N,C]; Y is int64 class indices [N], -100 for a
              sample to ignore (torch's default ignore_index)
  nll         NLLLoss on log-probabilities [N,C]; Y as for ce
Trained: every f32 initializer of rank >= 1 that the loss depends on (weights and biases).

Batches are taken in file order, the last partial one kept (a DataLoader with drop_last=False),
unless --shuffle: then each epoch has its own order, fixed by the seed and the epoch number. Each
epoch prints its mean loss, accuracy (ce, nll, bce, bce-logits), validation loss and accuracy
(with --val-split) and samples/s. A NaN or infinite loss stops training with an error naming the
epoch and step; so does a weight that an update made NaN or infinite (checked after every epoch,
and when a loss is not finite, so that the update which made it so is named). OUT and the checkpoint are then left as they were.

options:
  --data X.npy          model inputs, one sample per row
  --labels Y.npy        targets, one per sample (see the losses above)
  --loss LOSS           mse, bce, bce-logits, ce or nll
  -o, --output OUT      where to write the trained model
  --optimizer NAME      sgd (default), momentum (SGD with momentum 0.9 unless --momentum), adam,
                        adamw (torch.optim.AdamW: decoupled weight decay, 0.01 unless --weight-decay)
  --lr F                learning rate (default 0.01 for sgd and momentum, 0.001 for adam and adamw)
  --epochs N            passes over the training samples (default 10)
  --batch-size B        samples per step (default 32)
  --momentum F          SGD momentum (torch's momentum_buffer; default 0, 0.9 for momentum)
  --dampening F         SGD dampening (default 0)
  --nesterov            Nesterov momentum (needs momentum > 0 and no dampening)
  --weight-decay F      L2 penalty (sgd, momentum, adam) or decoupled decay (adamw)
  --beta1 F, --beta2 F, --epsilon F   Adam's (defaults 0.9, 0.999, 1e-8)
  --shuffle             a new sample order every epoch
  --seed S              the shuffle's seed, and Dropout's (default 0)
  --val-split F         hold out the last fraction F of the samples (before any shuffling) to
                        report validation loss and accuracy after each epoch; 0 <= F < 1
  --checkpoint PATH     write a checkpoint (model, optimizer state, epoch, seed) to PATH after
                        every epoch (or every Nth, and the last: --checkpoint-every N), atomically.
                        One run at a time per checkpoint: a run holds a lock on PATH.lock (removed
                        at its end) and a second run with the same PATH is refused
  --resume              continue from --checkpoint PATH: its parameters, optimizer state, epoch
                        and settings. MODEL must be the model the checkpoint's run started from
                        (the same inputs, outputs, nodes and weight names and shapes; the
                        weights' values come from the checkpoint), else the resume is refused;
                        --epochs counts from the start, and options given must equal the checkpoint's. A checkpoint that already
                        finished --epochs epochs trains nothing and leaves OUT as it is. The result equals a run that
                        was never interrupted, bit for bit
  --threads N           worker threads (default: one per core)
  --log-every N         print every Nth epoch (and the last; default 1)
)";

struct Totals {
  double loss_sum = 0;  // batch loss x batch samples
  int64_t samples = 0, correct = 0, predictions = 0;
  bool classification = false;
  void Add(const std::string& loss_name, float loss, const Tensor& predicted, const Tensor& labels, int64_t n) {
    loss_sum += static_cast<double>(loss) * static_cast<double>(n);
    samples += n;
    int64_t count = 0;
    const int64_t right = CountCorrect(loss_name, predicted, labels, count);
    if (right >= 0) classification = true, correct += right, predictions += count;
  }
  double loss() const { return samples ? loss_sum / static_cast<double>(samples) : 0.0; }
  double accuracy() const { return predictions ? 100.0 * static_cast<double>(correct) / static_cast<double>(predictions) : 0.0; }
};

// Loss and accuracy of the current parameters on a held-out set, in batches.
Totals Validate(TrainingSession& session, const Dataset& data, int64_t batch_size) {
  Totals totals;
  const std::vector<int64_t> order = EpochOrder(data.size(), false, 0, 0);
  Batcher batcher(data);
  for (int64_t first = 0; first < data.size(); first += batch_size) {
    const int64_t n = std::min(batch_size, data.size() - first);
    const auto [x, y] = batcher.Gather(order, first, n);
    const TrainingSession::Evaluation e = session.Evaluate(*x, *y);
    totals.Add(session.options().loss, e.loss, e.predictions, *y, n);
  }
  return totals;
}

std::string Number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

// Stops training when a weight holds NaN or infinity, as an update may make one while the loss
// stays finite (a ReLU hides it). Checking after every step would name the step that did it, but
// costs a read of every weight: ~4-5% of a step for an MLP 784-512-512-10 at batch 64, 1% at 256,
// more at smaller batches. So the weights are checked after each epoch and when a loss is not
// finite (then, most often, the last update is the culprit); `where` is the step just taken and
// clean_step the last optimizer step after which they were finite.
void CheckWeights(const TrainingSession& session, const std::string& where, int64_t clean_step,
                  const std::string& untouched) {
  const std::string bad = session.NonFiniteParameter();
  if (bad.empty()) return;
  const int64_t step = session.step();
  const std::string by = step == clean_step + 1 ? "by " + where
                                                : "after " + where + " (made so by one of optimizer steps " +
                                                      std::to_string(clean_step + 1) + " to " + std::to_string(step) + ")";
  throw Error(ErrorCode::kInvalidArgument, by + ": parameter '" + bad +
                                               "' holds NaN or infinity (an update overflowed while the loss was still "
                                               "finite); training stopped, leaving " + untouched + " (a lower --lr may help)");
}

// Options given on the command line that a resumed run must share with its checkpoint.
void CheckSame(const Args& args, const std::string& option, double given, double saved) {
  if (!args.Value(option) || static_cast<float>(given) == static_cast<float>(saved)) return;
  args.Fail(option + " " + *args.Value(option) + " differs from the checkpoint's " + Number(saved) +
            ": a resumed run keeps the settings it started with");
}

// Runs a save that refuses a diverged model (a running statistic of BatchNormalization holding
// NaN: kInvalidArgument) with the step it happened by; an I/O error stays as it is.
template <class F>
void Save(const std::string& where, const std::string& untouched, F&& save) {
  try {
    save();
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kInvalidArgument) throw;
    throw Error(e.code(), "by " + where + ": " + e.what() + "; training stopped, leaving " + untouched);
  }
}

int TrainMain(const std::vector<std::string>& argv) {
  Args args("train", argv,
            {"--data", "--labels", "--loss", "-o", "--optimizer", "--lr", "--epochs", "--batch-size", "--momentum",
             "--dampening", "--weight-decay", "--beta1", "--beta2", "--epsilon", "--seed", "--val-split",
             "--checkpoint", "--checkpoint-every", "--threads", "--log-every"},
            {"--nesterov", "--shuffle", "--resume"}, {{"--output", "-o"}});
  const std::string model_path = args.Positional(0, "MODEL");
  args.MaxPositional(1);
  auto required = [&](const std::string& option, const std::string& what) {
    const auto v = args.Value(option);
    if (!v) args.Fail("missing " + option + " " + what);
    return *v;
  };
  const std::string x_path = required("--data", "X.npy");
  const std::string y_path = required("--labels", "Y.npy");
  const std::string out_path = required("-o", "OUT.axon");
  const bool resume = args.Flag("--resume");
  const std::optional<std::string> checkpoint = args.Value("--checkpoint");
  if (resume && !checkpoint) args.Fail("--resume needs --checkpoint PATH");
  // Where the results go is checked now, not after the training it would waste.
  for (const std::optional<std::string>& target : {std::optional<std::string>(out_path), checkpoint})
    if (target) CheckWritableTarget(*target);
  // An output written over an input would destroy it (the data, or the model trained from).
  if (checkpoint && SameFile(*checkpoint, out_path)) args.Fail("--checkpoint and -o name the same file");
  for (const std::optional<std::string>& target : {std::optional<std::string>(out_path), checkpoint}) {
    if (!target) continue;
    const std::string option = *target == out_path ? "-o" : "--checkpoint";
    for (const auto& [input, what] : {std::pair{x_path, "--data"}, std::pair{y_path, "--labels"}, std::pair{model_path, "MODEL"}})
      if (SameFile(*target, input))
        args.Fail(option + " " + *target + " names the same file as " + what + " " + input + ": it would be overwritten");
  }
  // Held until the run ends, so that the checkpoint read by --resume is the one this run continues.
  std::optional<CheckpointLock> lock;
  if (checkpoint) lock.emplace(*checkpoint);
  const int epochs = args.IntValue("--epochs", 10, 1);
  const int batch_size = args.IntValue("--batch-size", 32, 1);
  const int log_every = args.IntValue("--log-every", 1, 1);
  const int checkpoint_every = args.IntValue("--checkpoint-every", 1, 1);
  if (args.Value("--checkpoint-every") && !checkpoint) args.Fail("--checkpoint-every needs --checkpoint PATH");
  const double val_split = args.DoubleValue("--val-split", 0.0, 0.0, 0.999999);
  bool shuffle = args.Flag("--shuffle");
  uint64_t seed = args.Uint64Value("--seed", 0);
  SessionOptions session_options{.threads = args.IntValue("--threads", 0, 1)};

  std::optional<TrainingSession> trained;
  int64_t first_epoch = 0;
  if (resume) {
    if (std::error_code ec; !std::filesystem::exists(*checkpoint, ec))
      args.Fail("--resume: the checkpoint " + *checkpoint + " does not exist");
    // MODEL names what is trained: a resume of another model's checkpoint would silently train
    // that other model, so the two must agree in structure (their weights' values differ, of course).
    if (const std::string difference =
            ModelDifference(formats::ReadAnyModelFile(model_path).graph, formats::ReadCheckpointFile(*checkpoint).model.graph);
        !difference.empty())
      args.Fail("MODEL " + model_path + " is not the model that the checkpoint " + *checkpoint + " trains: " + difference +
                " (--resume continues the checkpoint's training of the MODEL it started from; to train " + model_path +
                ", leave out --resume or name another --checkpoint)");
    trained.emplace(TrainingSession::Resume(*checkpoint, session_options));
    const TrainingSession& s = *trained;
    const TrainingLoopState& loop = s.loop_state();
    const OptimizerOptions& o = s.options().optimizer;
    if (args.Value("--loss") && *args.Value("--loss") != s.options().loss)
      args.Fail("--loss " + *args.Value("--loss") + " differs from the checkpoint's " + s.options().loss);
    if (args.Value("--optimizer") && *args.Value("--optimizer") != o.name)
      args.Fail("--optimizer " + *args.Value("--optimizer") + " differs from the checkpoint's " + o.name);
    auto setting = [&](const char* name, double fallback) {
      const auto it = loop.settings.find(name);
      return it == loop.settings.end() ? fallback : it->second;
    };
    CheckSame(args, "--lr", args.DoubleValue("--lr", 0, 0), o.lr.value_or(0));
    CheckSame(args, "--weight-decay", args.DoubleValue("--weight-decay", 0, 0), o.weight_decay.value_or(0));
    CheckSame(args, "--momentum", args.DoubleValue("--momentum", 0, 0), o.momentum.value_or(0));
    CheckSame(args, "--dampening", args.DoubleValue("--dampening", 0, 0), o.dampening);
    CheckSame(args, "--beta1", args.DoubleValue("--beta1", 0, 0), o.beta1);
    CheckSame(args, "--beta2", args.DoubleValue("--beta2", 0, 0), o.beta2);
    CheckSame(args, "--epsilon", args.DoubleValue("--epsilon", 0, 0), o.epsilon);
    if (args.Flag("--nesterov") && !o.nesterov) args.Fail("--nesterov: the checkpoint's run did not use Nesterov momentum");
    CheckSame(args, "--batch-size", batch_size, setting("batch_size", batch_size));
    CheckSame(args, "--val-split", val_split, setting("val_split", val_split));
    if (args.Flag("--shuffle") && setting("shuffle", 1) == 0) args.Fail("--shuffle: the checkpoint's run did not shuffle");
    if (args.Value("--seed") && seed != loop.shuffle_seed)
      args.Fail("--seed " + *args.Value("--seed") + " differs from the checkpoint's " + std::to_string(loop.shuffle_seed));
    // A checkpoint is a file anyone can edit: its loop settings are checked as options are.
    for (const auto& [name, value] : loop.settings)
      if (name != "batch_size" && name != "shuffle" && name != "val_split")
        args.Fail("the checkpoint has an unknown setting '" + name + "' (not written by axon train)");
    const double saved_batch = setting("batch_size", batch_size);
    if (!(saved_batch >= 1 && saved_batch <= 1099511627776.0 && saved_batch == std::floor(saved_batch)))
      args.Fail("the checkpoint's batch_size " + Number(saved_batch) + " is not a batch size (an integer from 1 to 2^40)");
    const double saved_split = setting("val_split", val_split);
    if (!(saved_split >= 0 && saved_split < 1))
      args.Fail("the checkpoint's val_split " + Number(saved_split) + " is not a fraction from 0 to below 1");
    if (const double v = setting("shuffle", 0); v != 0 && v != 1)
      args.Fail("the checkpoint's shuffle " + Number(v) + " is neither 0 nor 1");
    first_epoch = loop.epoch;
    shuffle = setting("shuffle", shuffle ? 1 : 0) != 0;
    seed = loop.shuffle_seed;
  } else {
    TrainingOptions options;
    options.session = session_options;
    options.loss = required("--loss", "(mse, bce, bce-logits, ce or nll)");
    options.seed = seed;  // Dropout's masks too (a checkpoint keeps the generator's state)
    OptimizerOptions& o = options.optimizer;
    o.name = args.Value("--optimizer").value_or("sgd");
    if (o.name == "sgd" || o.name == "momentum")
      for (const char* adam_only : {"--beta1", "--beta2", "--epsilon"})
        if (args.Value(adam_only)) args.Fail(std::string(adam_only) + " applies to adam and adamw only, not " + o.name);
    if (args.Value("--lr")) o.lr = static_cast<float>(args.DoubleValue("--lr", 0, 0));  // else the optimizer's default
    if (args.Value("--momentum")) o.momentum = static_cast<float>(args.DoubleValue("--momentum", 0, 0));
    if (args.Value("--weight-decay")) o.weight_decay = static_cast<float>(args.DoubleValue("--weight-decay", 0, 0));
    o.dampening = static_cast<float>(args.DoubleValue("--dampening", 0, 0));
    o.nesterov = args.Flag("--nesterov");
    o.beta1 = static_cast<float>(args.DoubleValue("--beta1", 0.9, 0, 0.999999));
    o.beta2 = static_cast<float>(args.DoubleValue("--beta2", 0.999, 0, 0.999999));
    o.epsilon = static_cast<float>(args.DoubleValue("--epsilon", 1e-8, 0));
    trained.emplace(TrainingSession::Load(model_path, options));
  }
  TrainingSession& session = *trained;
  // A checkpoint that TrainingSession::SaveCheckpoint wrote without these takes the options'.
  auto saved = [&](const char* name, double fallback) {
    const auto it = session.loop_state().settings.find(name);
    return resume && it != session.loop_state().settings.end() ? it->second : fallback;
  };
  const auto batch = static_cast<int64_t>(saved("batch_size", batch_size));
  const double split = saved("val_split", val_split);
  const std::string& loss_name = session.options().loss;
  if (first_epoch >= epochs) {
    // OUT is left as it is: the checkpoint already holds that model, and a run that trains
    // nothing should change nothing.
    std::printf("nothing to do: the checkpoint already finished epoch %lld of %d (raise --epochs to train on); %s not written\n",
                static_cast<long long>(first_epoch), epochs, Escaped(out_path).c_str());
    return 0;
  }

  auto [x, y] = ReadTrainingData(model_path, x_path, y_path, session);
  const int64_t samples = x.shape()[0];
  const uint64_t fingerprint = DataFingerprint(x, y);
  if (resume && session.loop_state().data_samples > 0) {
    const TrainingLoopState& loop = session.loop_state();
    if (loop.data_samples != samples)
      args.Fail("--data " + x_path + " holds " + std::to_string(samples) + " samples; the checkpoint " + *checkpoint +
                " was trained on " + std::to_string(loop.data_samples) + ": a resumed run needs the same data");
    if (loop.data_fingerprint != fingerprint)
      args.Fail("--data " + x_path + " and --labels " + y_path + " differ from the data the checkpoint " + *checkpoint +
                " was trained on (same sample count, other contents): a resumed run needs the same data");
  }
  const auto held_out = static_cast<int64_t>(std::floor(static_cast<double>(samples) * split));
  if (split > 0 && held_out == 0)
    args.Fail("--val-split " + std::to_string(split) + " of " + std::to_string(samples) + " samples holds out none");
  if (held_out >= samples) args.Fail("--val-split leaves no samples to train on");
  const Dataset train{x, y, 0, samples - held_out};
  // A model exported with a fixed batch takes only batches of that size: say so now, not at the
  // last, partial batch after an epoch's work.
  if (const TensorInfo& input = session.inputs()[0]; input.has_rank && !input.shape.empty() && input.shape[0] >= 0) {
    const int64_t fixed = input.shape[0];
    const auto fail = [&](const std::string& what) {
      args.Fail(model_path + ": the model's input " + input.ToString() + " has a fixed batch of " + std::to_string(fixed) + ": " + what +
                " (train with --batch-size " + std::to_string(fixed) + " on a sample count it divides, or export the model "
                "with a dynamic batch dim)");
    };
    if (batch != fixed) fail("--batch-size " + std::to_string(batch) + " differs from it");
    if (train.size() % fixed != 0)
      fail(std::to_string(train.size()) + " training samples leave a last batch of " + std::to_string(train.size() % fixed));
    if (held_out % fixed != 0)
      fail(std::to_string(held_out) + " validation samples leave a last batch of " + std::to_string(held_out % fixed));
  }
  const Dataset validation{x, y, samples - held_out, samples};

  int64_t weights = 0;
  for (const std::string& p : session.parameters()) weights += session.Parameter(p).size();
  const OptimizerOptions& o = session.options().optimizer;
  std::printf("training %s: %lld parameters in %zu tensors; loss %s, optimizer %s (lr %g), batch %lld, %lld samples",
              Escaped(resume ? *checkpoint : model_path).c_str(), static_cast<long long>(weights), session.parameters().size(),
              loss_name.c_str(), o.name.c_str(), *o.lr, static_cast<long long>(batch), static_cast<long long>(train.size()));
  if (held_out) std::printf(" (+%lld for validation)", static_cast<long long>(held_out));
  if (resume) std::printf("; resumed after epoch %lld, step %lld", static_cast<long long>(first_epoch), static_cast<long long>(session.step()));
  std::printf("\n");
  std::fflush(stdout);

  const bool tty = ::isatty(STDOUT_FILENO);
  Batcher batcher(train);
  std::string where;  // the step last taken, for errors: "epoch E, step K of N (optimizer step S)"
  std::string previous;  // the step before it
  int64_t clean_step = session.step();  // weights last seen finite after this optimizer step
  const std::string untouched = out_path + (checkpoint ? " and " + *checkpoint + " as they were" : std::string(" as it was"));
  const auto start = std::chrono::steady_clock::now();
  for (int64_t epoch = first_epoch; epoch < epochs; ++epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    const std::vector<int64_t> order = EpochOrder(train.size(), shuffle, seed, epoch);
    const int64_t steps = (train.size() + batch - 1) / batch;
    Totals totals;
    auto last_bar = epoch_start;
    for (int64_t k = 0; k < steps; ++k) {
      const int64_t n = std::min(batch, train.size() - k * batch);
      const auto [bx, by] = batcher.Gather(order, k * batch, n);
      // The phases one by one, so that a diverged loss stops before the optimizer touches anything.
      const float loss = session.ComputeGradients(*bx, *by);
      where = "epoch " + std::to_string(epoch + 1) + ", step " + std::to_string(k + 1) + " of " + std::to_string(steps) +
              " (optimizer step " + std::to_string(session.step() + 1) + ")";
      if (!std::isfinite(loss)) {
        // Most often the last update overflowed a weight, which this loss is the first to show:
        // that update is the step to name.
        if (!previous.empty()) CheckWeights(session, previous, clean_step, untouched);
        // A batch whose samples are all ignored has a mean over none (NaN in torch too): no --lr cures that.
        const bool all_ignored = by->dtype() == DType::kI64 && std::all_of(by->data<int64_t>(), by->data<int64_t>() + by->size(),
                                                                           [](int64_t l) { return l == kIgnoredClass; });
        throw Error(ErrorCode::kInvalidArgument,
                    where + ": the loss is " + (std::isnan(loss) ? "NaN" : "infinite") + "; training stopped, leaving " +
                        untouched + (all_ignored ? " (every label of this batch is " + std::to_string(kIgnoredClass) +
                                                       ", ignored: a larger --batch-size or fewer ignored samples may help)"
                                                 : std::string(" (a lower --lr may help)")));
      }
      totals.Add(loss_name, loss, session.predictions(), *by, n);
      session.ApplyOptimizer();
      previous = where;
      if (tty) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last_bar > std::chrono::milliseconds(200)) {
          constexpr int kWidth = 30;
          const int filled = static_cast<int>(kWidth * (k + 1) / steps);
          std::printf("\repoch %lld/%d [%s%s] %lld/%lld", static_cast<long long>(epoch + 1), epochs,
                      std::string(static_cast<std::size_t>(filled), '=').c_str(),
                      std::string(static_cast<std::size_t>(kWidth - filled), ' ').c_str(), static_cast<long long>(k + 1),
                      static_cast<long long>(steps));
          std::fflush(stdout);
          last_bar = now;
        }
      }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    CheckWeights(session, where, clean_step, untouched);
    clean_step = session.step();
    if (checkpoint && ((epoch + 1) % checkpoint_every == 0 || epoch + 1 == epochs)) {
      TrainingLoopState loop{epoch + 1, seed, {{"batch_size", static_cast<double>(batch)}, {"shuffle", shuffle ? 1.0 : 0.0}, {"val_split", split}},
                             samples, fingerprint};
      Save(where, untouched, [&] { session.SaveCheckpoint(*checkpoint, loop); });
    }
    if ((epoch + 1) % log_every != 0 && epoch + 1 != epochs) continue;
    if (tty) std::printf("\r\033[K");
    std::printf("epoch %lld/%d  loss %.6f", static_cast<long long>(epoch + 1), epochs, totals.loss());
    if (totals.classification) std::printf("  accuracy %.2f%%", totals.accuracy());
    if (held_out) {
      const Totals v = Validate(session, validation, batch);
      std::printf("  val_loss %.6f", v.loss());
      if (v.classification) std::printf("  val_accuracy %.2f%%", v.accuracy());
    }
    std::printf("  %.0f samples/s\n", seconds > 0 ? static_cast<double>(train.size()) / seconds : 0.0);
    std::fflush(stdout);
  }
  Save(where, untouched, [&] { session.SaveModel(out_path); });
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("wrote %s (%lld steps, %.2f s)\n", Escaped(out_path).c_str(), static_cast<long long>(session.step()), total);
  return 0;
}

}  // namespace

AXON_COMMAND("train", "train a model on .npy data (losses and optimizers as PyTorch's)", kUsage, TrainMain);

}  // namespace axon::cli
