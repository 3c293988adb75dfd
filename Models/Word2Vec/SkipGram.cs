using TorchSharp;

namespace Functional.Models.Word2Vec;

/// <summary>
/// Skip-gram with negative sampling. For a centre vector v and target vectors u_j with labels y_j (1 for the
/// context word, 0 for negatives) the loss of an example is the sum over j of -log σ(±u_j·v); a batch's loss
/// is the sum over its examples, so that one SGD step with learning rate η moves each example as word2vec's
/// per-example update does.
/// </summary>
public static class SkipGram
{
    /// <summary>
    /// The summed loss of <paramref name="batch"/>, written with differentiable torch operations: the autodiff
    /// form of the model, whose gradient <see cref="SkipGramKernel.Step"/> applies by hand.
    /// </summary>
    public static torch.Tensor Loss(SkipGramParams parameters, SkipGramBatch batch)
    {
        var scores = Scores(parameters, batch);
        return -(torch.nn.functional.logsigmoid(scores * Signs(scores))).sum();
    }

    static torch.Tensor Scores(SkipGramParams parameters, SkipGramBatch batch)
    {
        var centres = parameters.Input.index_select(0, batch.Centres);               // [B, D]
        var targets = parameters.Output.index_select(0, batch.Targets.reshape(-1))
            .reshape(batch.Targets.shape[0], batch.Targets.shape[1], -1);            // [B, 1+K, D]
        return torch.bmm(targets, centres.unsqueeze(2)).squeeze(2);                  // [B, 1+K]
    }

    /// <summary>+1 for the context column, -1 for the negatives.</summary>
    static torch.Tensor Signs(torch.Tensor scores)
    {
        var signs = -torch.ones_like(scores);
        signs[.., 0] = 1;
        return signs;
    }
}
