using TorchSharp;
using Xunit;
using Functional.Models.Digits;

namespace Functional.PropertyTests.Digits;

public sealed class MnistTests
{
    static readonly string Folder = SharedData.Folder("mnist-t10k");

    [Fact]
    public void The_test_split_loads_with_its_published_shape_labels_and_class_counts()
    {
        var data = Mnist.Load(Folder);

        Assert.Equal([10000L, 28, 28], data.Images.shape);
        Assert.Equal(torch.uint8, data.Images.dtype);
        Assert.Equal([7L, 2, 1], data.Labels.narrow(0, 0, 3).data<long>().ToArray());
        Assert.Equal([980L, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009], data.Labels.bincount(null).data<long>().ToArray());
    }

    [Fact]
    public void A_missing_folder_says_where_the_data_comes_from()
    {
        var error = Assert.Throws<FileNotFoundException>(() => Mnist.Load("/nonexistent"));

        Assert.Contains("lecun.com", error.Message);
    }
}
